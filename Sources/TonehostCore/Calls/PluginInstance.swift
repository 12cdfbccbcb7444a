import CTonehostABI
import Foundation
import Logging

/// A created plugin instance and typed, asynchronous access to its operation. Every call runs
/// on `PluginThreadPool` (plugins may block), has a deadline (the manifest's `deadline_ms`, or
/// the caller's) and is cancelled when the awaiting task is. Thread-safe.
public final class PluginInstance: @unchecked Sendable {
    public let manifest: PluginManifest
    public let libraryPath: String
    public let pluginID: String
    public let pluginVersion: String
    public let pluginDescription: String
    /// Tone plugins: the category served (manifest's `tone_category`, else the plugin's own).
    public let toneCategory: String?
    /// Tone plugins: converts sentence by sentence while the answer streams.
    public let streamsTone: Bool
    public var name: String { manifest.name }
    public var kind: PluginKind { manifest.kind }

    let descriptor: UnsafePointer<tonehost_plugin>
    let instance: UnsafeMutableRawPointer
    let hostAPI: HostAPI
    /// The elastic pool for calls that may block (warm-up always may).
    private let pool: PluginThreadPool
    private let serializedLock: NSLock?
    /// Declared TONEHOST_FLAG_NONBLOCKING: its calls run on the small compute pool.
    public let isNonblocking: Bool
    private let callPool: PluginThreadPool
    /// The manifest's `max_concurrency`: operation functions of this instance running at once.
    private let slots: AsyncSlots?

    /// `precreated`: an instance the host made itself (simple plugins); `create` is not called.
    init(manifest: PluginManifest, libraryPath: String, descriptor: UnsafePointer<tonehost_plugin>,
         logger: Logger, pool: PluginThreadPool, precreated: UnsafeMutableRawPointer? = nil) throws {
        self.manifest = manifest
        self.libraryPath = libraryPath
        self.descriptor = descriptor
        self.pool = pool
        let d = descriptor.pointee
        func s(_ p: UnsafePointer<CChar>?) -> String { p.map { String(cString: $0) } ?? "" }
        pluginID = s(d.id)
        pluginVersion = s(d.version)
        pluginDescription = s(d.description)
        if manifest.kind == .tone {
            let category = manifest.toneCategory ?? (d.tone_category.map { String(cString: $0) })
            guard let category, !category.isEmpty else {
                throw PluginLoadError(file: manifest.file, reason: "tone plugin \(pluginID) names no category; add tone_category = \"…\" to the manifest")
            }
            toneCategory = category
        } else {
            toneCategory = nil
        }
        streamsTone = d.flags & TONEHOST_FLAG_TONE_STREAMING != 0
        serializedLock = d.flags & TONEHOST_FLAG_SERIALIZED != 0 ? NSLock() : nil
        isNonblocking = d.flags & TONEHOST_FLAG_NONBLOCKING != 0
        callPool = isNonblocking ? .compute : pool
        slots = manifest.maxConcurrency.map(AsyncSlots.init)
        let hostAPI = HostAPI(pluginName: manifest.name, logger: logger)
        self.hostAPI = hostAPI

        if let precreated {
            instance = precreated
            return
        }
        var error = [CChar](repeating: 0, count: 1024)
        let errorSize = error.count
        let created = manifest.configJSON.withCString { config in
            d.create(UnsafePointer(hostAPI.pointer), config, &error, errorSize)
        }
        guard let created else {
            let why = String(cString: error)
            throw PluginLoadError(file: manifest.file, reason: "plugin \(pluginID) refused its config: \(why.isEmpty ? "create returned NULL" : why)")
        }
        instance = created
    }

    deinit {
        // Runs when the last generation holding this instance is gone: no call is in flight.
        let destroy = descriptor.pointee.destroy
        let instance = self.instance
        let hostAPI = self.hostAPI
        pool.submit {
            destroy?(instance)
            withExtendedLifetime(hostAPI) {}
        }
    }

    /// The deadline of a call: the caller's, else the manifest's `deadline_ms`, else none.
    func deadline(_ override: Duration?) -> Duration? {
        override ?? manifest.deadlineMilliseconds.map { .milliseconds($0) }
    }

    /// Runs one operation on a pool thread. `body` gets the call handle and callback table and
    /// calls into the plugin. Returns when the plugin finished, the deadline passed, or the task
    /// was cancelled — whichever comes first.
    func invoke(deadline: Duration?, onText: ((String) -> Void)?, onPassage: ((RetrievedPassage) -> Void)? = nil,
                onVector: ((Int, UnsafeBufferPointer<Float>) -> Void)? = nil, mayBlock: Bool = false, body: @escaping (OpaquePointer, UnsafePointer<tonehost_call_api>) -> Int32) async throws {
        var deadline = deadline
        if let slots {
            // Beyond max_concurrency a call waits here, holding no thread; the wait counts
            // against its deadline.
            let started = ContinuousClock.now
            let until = deadline.map { DispatchTime.now().uptimeNanoseconds + UInt64(max(0, $0 / .nanoseconds(1))) }
            do {
                try await slots.acquire(deadlineNanos: until)
            } catch is AsyncSlots.TimedOut {
                throw PluginCallError(plugin: manifest.name, reason: .timedOut,
                                      message: "no free slot (max_concurrency \(manifest.maxConcurrency ?? 0)) within \(deadline.map { "\($0)" } ?? "the deadline")")
            } catch {
                throw PluginCallError(plugin: manifest.name, reason: .cancelled, message: "cancelled while waiting for a free slot")
            }
            deadline = deadline.map { max(.milliseconds(1), $0 - (ContinuousClock.now - started)) }
        }
        let ctx = CallContext(deadline: deadline, onText: onText, onPassage: onPassage)
        ctx.onVector = onVector
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, Error>) in
                let hop = ResumeAffinity.capture()
                start(ctx, mayBlock: mayBlock, releasing: slots, inline: true, body: body) { result in
                    ResumeAffinity.resume(hop) { continuation.resume(with: result) }
                }
            }
        } onCancel: {
            ctx.cancel()
        }
    }

    /// The callback form of `invoke` (no `max_concurrency` wait): runs `body` on a pool thread
    /// and calls `completion` once, when the plugin finished, the deadline passed or `ctx` was
    /// cancelled. For callers off Swift concurrency (the plugin worker's reader thread).
    ///
    /// `inline`: the caller lets a NONBLOCKING call run on its own thread, `completion` then
    /// possibly running before `start` returns (the async `invoke` does; the worker's reader
    /// thread does not: it registers the call after `start` returns).
    func start(_ ctx: CallContext, mayBlock: Bool = false, releasing slots: AsyncSlots? = nil, inline: Bool = false,
               body: @escaping (OpaquePointer, UnsafePointer<tonehost_call_api>) -> Int32,
               completion: @escaping (Result<Void, Error>) -> Void) {
        ctx.instance = self
        let name = manifest.name
        let deadline = ctx.deadline
        ctx.onFinish { ending, failure in
            switch ending {
            case .returned(let status) where status == TONEHOST_OK:
                completion(.success(()))
            case .returned(let status):
                if status == TONEHOST_ERR_CANCELLED {
                    completion(.failure(PluginCallError(plugin: name, reason: .cancelled, message: failure?.message ?? "cancelled")))
                } else {
                    let message = failure?.message ?? "plugin returned \(status)"
                    let reason: PluginCallError.Reason = status == TONEHOST_ERR_TIMEOUT ? .timedOut : .failed(status: status)
                    completion(.failure(PluginCallError(plugin: name, reason: reason, message: message)))
                }
            case .timedOut:
                completion(.failure(PluginCallError(plugin: name, reason: .timedOut, message: "no answer within \(deadline.map { "\($0)" } ?? "the deadline")")))
            case .cancelled:
                completion(.failure(PluginCallError(plugin: name, reason: .cancelled, message: "cancelled")))
            }
        }
        if inline, !mayBlock, runsInline {
            runInline(ctx, releasing: slots, body: body)
            return
        }
        Self.armDeadline(ctx)
        // The plugin holds this reference until it returns or completes a PENDING call.
        let retained = Unmanaged.passRetained(ctx)
        let lock = serializedLock
        // A NONBLOCKING plugin that broke its promise is treated as one that may block.
        (mayBlock || inlineDemoted.value ? pool : callPool).submit {
            defer { slots?.release() }  // the function returned: its thread is free
            if ctx.isCancelled {
                retained.release()
                return
            }
            lock?.lock()
            let status = body(OpaquePointer(retained.toOpaque()), CallContext.api)
            lock?.unlock()
            if status != TONEHOST_PENDING { ctx.diagnostics?.record(.returned(status: status)) }
            if status != TONEHOST_PENDING {
                ctx.finish(.returned(status: status))
                retained.release()
            }
        }
    }

    /// A timer the call cancels when it ends: a call that finishes in 2 ms must not leave a
    /// 30-second timer (and its memory) behind.
    private static func armDeadline(_ ctx: CallContext) {
        guard let deadlineNanos = ctx.deadlineNanos else { return }
        ctx.deadlineTimer = OneShotTimer(uptimeNanoseconds: deadlineNanos) { [weak ctx] in ctx?.finish(.timedOut) }
    }

    /// A TONEHOST_FLAG_NONBLOCKING operation only computes, so the host calls it on the thread
    /// that asks (no hand-over to a pool thread and back: two thread switches and a timer
    /// saved per call). The promise is checked: a call that waited (slept, read, locked: it
    /// gave up its thread) for `inlineGrossNanos` or more, or three calls that waited over
    /// `inlineLimitNanos` within a minute, move this instance's later calls to the elastic pool
    /// for calls that may block, with a warning — a plugin that lies about its flag costs one
    /// slow call (three short ones), not the server (nor the compute pool the honest plugins
    /// share).
    /// Not for serialized instances (their lock could make the asking thread wait).
    private var runsInline: Bool { isNonblocking && serializedLock == nil && !inlineDemoted.value }
    private let inlineDemoted = Locked(false)
    /// A call blocked longer than this is a strike; `inlineStrikesToMove` strikes within
    /// `inlineStrikeWindowNanos`, or one call blocked `inlineGrossNanos`, move the instance.
    /// One strike is not enough: on 2 oversubscribed cores an honest plugin that takes a lock
    /// (one of Foundation's regex caches, a connection pool) can wait 20–30 ms when the
    /// thread holding it is preempted — a stall the elastic pool would not cure, while every
    /// later call would pay two thread switches (the rule tones: ~2× the CPU of a toned answer).
    static let inlineLimitNanos: UInt64 = 20_000_000
    static let inlineGrossNanos: UInt64 = 100_000_000
    static let inlineStrikesToMove = 3
    static let inlineStrikeWindowNanos: UInt64 = 60_000_000_000
    /// When the strikes of the window happened (uptime nanoseconds).
    private let inlineStrikes = Locked<[UInt64]>([])

    /// Whether a call that blocked `waited` nanoseconds moves this instance's calls off the
    /// asking threads (a strike is kept otherwise).
    private func breaksNonblockingPromise(waited: UInt64) -> Bool {
        if waited >= Self.inlineGrossNanos { return true }
        let now = DispatchTime.now().uptimeNanoseconds
        return inlineStrikes.mutate { strikes in
            strikes.removeAll { now &- $0 > Self.inlineStrikeWindowNanos }
            strikes.append(now)
            return strikes.count >= Self.inlineStrikesToMove
        }
    }

    private func runInline(_ ctx: CallContext, releasing slots: AsyncSlots?,
                           body: (OpaquePointer, UnsafePointer<tonehost_call_api>) -> Int32) {
        defer { slots?.release() }
        if ctx.isCancelled { return }
        let retained = Unmanaged.passRetained(ctx)
        ctx.runsInline = true
        let before = ThreadUsage.now()
        let status = body(OpaquePointer(retained.toOpaque()), CallContext.api)
        ctx.runsInline = false  // a PENDING call completes later, from another thread
        // A call shorter than the limit cannot have waited longer: no second reading then.
        let elapsed = DispatchTime.now().uptimeNanoseconds &- before.wall
        let waited = elapsed > Self.inlineLimitNanos ? ThreadUsage.now().waited(since: before) : 0
        if waited > Self.inlineLimitNanos, !inlineDemoted.value {
            if breaksNonblockingPromise(waited: waited) {
                inlineDemoted.mutate { $0 = true }
                hostAPI.logger.warning("a call of this NONBLOCKING plugin ran long; its calls now run on threads that may block",
                                       metadata: ["plugin": "\(manifest.name)", "waited_ms": "\(waited / 1_000_000)"])
            } else {
                hostAPI.logger.debug("a call of this NONBLOCKING plugin was blocked a while (strike)",
                                     metadata: ["plugin": "\(manifest.name)", "waited_ms": "\(waited / 1_000_000)"])
            }
        }
        if status == TONEHOST_PENDING {
            Self.armDeadline(ctx)  // completes later, from `complete`; the deadline applies from now on
            return
        }
        ctx.diagnostics?.record(.returned(status: status))
        if let deadline = ctx.deadlineNanos, DispatchTime.now().uptimeNanoseconds > deadline {
            ctx.finish(.timedOut)
        } else {
            ctx.finish(.returned(status: status))
        }
        retained.release()
    }

    /// Whether `start` can serve this plugin's calls (no `max_concurrency` wait needed).
    var startsWithoutWaiting: Bool { slots == nil }
}

/// Keeps C strings alive for the duration of one plugin call.
final class CStrings {
    private var storage: [UnsafeMutablePointer<CChar>] = []

    func make(_ s: String) -> UnsafePointer<CChar> {
        let p = strdup(s)!
        storage.append(p)
        return UnsafePointer(p)
    }

    deinit { storage.forEach { free($0) } }
}
