import CoreMetrics
import Foundation
import Logging
import SessionStore
import TonehostCore

/// The request path's use of the session store, bounded in time and never fatal to an answer:
/// a history read that fails or is slow gives an answer without history; a history write that
/// fails is logged and counted. Both are remembered, and `/readyz` reports the store as
/// unavailable while the latest attempt failed.
final class SessionHistory: @unchecked Sendable {
    /// Store work runs on threads of its own, as many as the store has connections: queued
    /// work waits in a queue, not on a thread (a hundred concurrent questions do not make a
    /// hundred threads wait for four read connections), and reads never queue behind writes.
    static let readPool = PluginThreadPool(maxThreads: 4, coreThreads: 4)
    static let writePool = PluginThreadPool(maxThreads: 2, coreThreads: 2)

    private let lastFailure = Locked<(reason: String, at: Date)?>(nil)

    /// The latest store failure, nil once a later store call succeeded.
    var failure: (reason: String, at: Date)? { lastFailure.value }

    func succeeded() { lastFailure.mutate { $0 = nil } }

    func failed(_ reason: String) { lastFailure.mutate { $0 = (reason, Date()) } }

    /// The session's history within `limit`; nil (and logged, counted) when it cannot be read in time.
    func read(_ runtime: HostRuntime, session: String, messages: Int, within limit: Duration, logger: Logger) async -> [ChatMessage]? {
        await call("history read", session: session, failures: TonehostMetrics.shared.historyReadFailures, logger: logger,
                   .warning, "answering without session history: the store could not be read") {
            try await runtime.sessions.history(session, limit: messages, deadline: .now + limit)
        }
    }

    /// Appends one turn, waiting at most `limit`; returns whether it was stored.
    @discardableResult
    func write(_ runtime: HostRuntime, session: String, turn: [ChatMessage], within limit: Duration, logger: Logger) async -> Bool {
        await call("history write", session: session, failures: TonehostMetrics.shared.historyWriteFailures, logger: logger,
                   .error, "could not store session history") {
            try await runtime.sessions.append(session, turn, deadline: .now + limit)
        } != nil
    }

    /// One store call: its success clears the remembered failure; its failure is remembered
    /// ("`what` failed: …"), counted in `failures` and logged at `level` with the session.
    private func call<T>(_ what: String, session: String, failures: CoreMetrics.Counter, logger: Logger,
                         _ level: Logger.Level, _ message: Logger.Message, _ body: () async throws -> T) async -> T? {
        do {
            let value = try await body()
            succeeded()
            return value
        } catch {
            failed("\(what) failed: \(error)")
            failures.increment()
            logger.log(level: level, message, metadata: ["session": "\(session)", "error": "\(error)"])
            return nil
        }
    }
}

/// The SQLite store behind the protocol both stores share: its blocking calls run on the
/// history pools, waited for at most until the deadline (the store also gives up on writes by
/// the deadline itself; the outer bound is a backstop).
extension SessionStore: SessionHistoryStore {
    public var label: String { "sqlite \(path)" }
    public var isShared: Bool { false }

    public func history(_ sessionID: String, limit: Int?, deadline: ContinuousClock.Instant) async throws -> [ChatMessage] {
        try await withDeadline(deadline - .now, on: SessionHistory.readPool) { try self.history(sessionID, limit: limit) }
    }

    public func append(_ sessionID: String, _ messages: [ChatMessage], deadline: ContinuousClock.Instant) async throws {
        // Queued before the hop: appends waiting for the writer are committed together.
        let item = enqueue(sessionID, messages)
        try await withDeadline(deadline - .now + .milliseconds(250), on: SessionHistory.writePool) {
            try self.commit(item, deadline: deadline)
        }
    }

    public func clear(_ sessionID: String, deadline: ContinuousClock.Instant) async throws -> Int {
        try await withDeadline(deadline - .now + .milliseconds(250), on: SessionHistory.writePool) { try self.clear(sessionID, deadline: deadline) }
    }

    public func probe(deadline: ContinuousClock.Instant) async throws {
        try await withDeadline(deadline - .now, on: SessionHistory.readPool) { try self.probe() }
    }
}

struct StoreTimeout: Error, CustomStringConvertible {
    let limit: Duration
    var description: String { "the session store did not answer within \(SessionStore.milliseconds(limit)) ms" }
}

/// Runs blocking store work on the host's threads and waits at most `limit` for it; past that
/// the caller goes on (the work, if it is stuck, finishes or fails on its own thread later).
func withDeadline<T: Sendable>(_ limit: Duration, on pool: PluginThreadPool, _ body: @escaping @Sendable () throws -> T) async throws -> T {
    let box = OnceBox<Result<T, Error>>()
    return try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<T, Error>) in
        let hop = ResumeAffinity.capture()
        box.onResult = { result in ResumeAffinity.resume(hop) { continuation.resume(with: result) } }
        let timer = OneShotTimer(after: limit) { box.resolve(.failure(StoreTimeout(limit: limit))) }
        pool.submit {
            box.resolve(Result { try body() })
            timer.cancel()
        }
    }
}

/// Delivers the first of several results exactly once.
final class OnceBox<Value>: @unchecked Sendable {
    private let lock = NSLock()
    private var done = false
    var onResult: ((Value) -> Void)?

    func resolve(_ value: Value) {
        lock.lock()
        guard !done, let deliver = onResult else { lock.unlock(); return }
        done = true
        onResult = nil
        lock.unlock()
        deliver(value)
    }
}
