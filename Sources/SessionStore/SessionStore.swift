import CSQLite
import Foundation
import SQLiteSupport
@_exported import TonehostTypes

/// Conversation history per session, in SQLite (the same file as the knowledge base by
/// default), so it survives restarts and can be shared by several hosts on one volume.
///
/// Readers never queue behind the writer: the file is in WAL mode, reads go through a small
/// pool of their own connections, and only writes take the writer connection. Every write has
/// a deadline (waiting for the writer and for SQLite's lock counts against it), so a store held
/// by someone else (`BEGIN EXCLUSIVE` in another process, a slow disk) delays a write by at most
/// that long and then fails with `SessionStoreError.busy`.
///
/// Every method blocks: call it off the cooperative pool. Thread-safe.
public final class SessionStore: @unchecked Sendable {
    /// A turn of history.
    public typealias Message = ChatMessage

    /// How long a write may wait when the caller gives no deadline.
    public static let defaultWriteWait: Duration = .seconds(5)
    /// How long a read waits for SQLite's lock (in WAL mode a reader waits only in rare cases:
    /// recovery after a crash, or a store not in WAL mode).
    public static let readBusyMilliseconds: Int32 = 1000

    private let writer: SQLiteConnection
    private let writerLock = NSLock()
    private let readers: SQLiteConnectionPool?
    public let path: String

    public init(path: String) throws {
        self.path = path
        let inMemory = path == ":memory:"
        if !inMemory {
            try? FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        }
        writer = try SQLiteConnection(path: path, flags: SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX)
        sqlite3_busy_timeout(writer.handle, 5000)
        if !inMemory { try writer.exec("PRAGMA journal_mode=WAL") }
        try writer.exec("""
            CREATE TABLE IF NOT EXISTS session_messages(
                id INTEGER PRIMARY KEY,
                session_id TEXT NOT NULL,
                role TEXT NOT NULL,
                content TEXT NOT NULL,
                created_at REAL NOT NULL);
            CREATE INDEX IF NOT EXISTS session_messages_by_session ON session_messages(session_id, id);
            """)
        // An in-memory store is one connection's: readers share the writer.
        readers = inMemory ? nil : SQLiteConnectionPool(path: path, size: 4) { connection in
            sqlite3_busy_timeout(connection.handle, Self.readBusyMilliseconds)
            try connection.exec("PRAGMA query_only=1")
        }
    }

    /// The last `limit` messages of a session, oldest first (all when limit is nil).
    public func history(_ sessionID: String, limit: Int? = nil) throws -> [Message] {
        try read { db in
            let stmt = try db.prepare("SELECT role, content FROM session_messages WHERE session_id = ? ORDER BY id DESC LIMIT ?")
            defer { stmt.reset() }
            try stmt.bind(.text(sessionID), .int(Int64(limit ?? -1)))
            var out: [Message] = []
            while try stmt.step() { out.append(Message(role: stmt.text(0), content: stmt.text(1))) }
            return out.reversed()
        }
    }

    public func count(_ sessionID: String) throws -> Int {
        try read { db in
            Int(try db.scalarInt("SELECT count(*) FROM session_messages WHERE session_id = ?", [.text(sessionID)]) ?? 0)
        }
    }

    /// A cheap check that the store answers reads: the schema and the newest row.
    public func probe() throws {
        try read { db in
            _ = try db.scalarInt("SELECT count(*) FROM sqlite_master")
            _ = try db.scalarInt("SELECT max(id) FROM session_messages")
        }
    }

    /// Appends messages in one transaction, or throws once `deadline` passes.
    public func append(_ sessionID: String, _ messages: [Message], deadline: ContinuousClock.Instant? = nil) throws {
        try commit(enqueue(sessionID, messages), deadline: deadline)
    }

    // MARK: - Group commit

    /// One append waiting to be committed; its outcome is set (under `pending`'s lock) by
    /// whichever writer commits it.
    public final class PendingAppend: @unchecked Sendable {
        fileprivate let sessionID: String
        fileprivate let messages: [Message]
        fileprivate let at = Date().timeIntervalSince1970
        fileprivate var outcome: Result<Void, Error>?
        fileprivate init(_ sessionID: String, _ messages: [Message]) {
            self.sessionID = sessionID
            self.messages = messages
        }
    }

    private let pending = Locked<[PendingAppend]>([])

    /// Queues an append without waiting (no I/O; safe on any thread). `commit` it next.
    ///
    /// Group commit: the writer that commits takes every append queued by then into one
    /// transaction — one fsync for all of them, where a hundred concurrent answers would
    /// otherwise queue for a hundred. Each append is still durable when `commit` returns.
    public func enqueue(_ sessionID: String, _ messages: [Message]) -> PendingAppend {
        let item = PendingAppend(sessionID, messages)
        pending.mutate { $0.append(item) }
        return item
    }

    /// Returns once `item` is committed (by this call or by another writer's batch), or throws
    /// its failure, or throws once `deadline` passes — then `item` is withdrawn unless a writer
    /// is committing it at that moment (it may then still be stored).
    public func commit(_ item: PendingAppend, deadline: ContinuousClock.Instant? = nil) throws {
        if let done = pending.mutate({ _ in item.outcome }) { return try done.get() }
        do {
            try write(deadline: deadline) { db in
                // Under the writer lock every item taken from the queue has its outcome: ours
                // is either done or still queued.
                let batch = pending.mutate { queue -> [PendingAppend] in
                    guard item.outcome == nil else { return [] }
                    defer { queue.removeAll(keepingCapacity: true) }
                    return queue
                }
                guard !batch.isEmpty else { return }
                let result = Result {
                    try db.transaction {
                        let stmt = try db.prepare("INSERT INTO session_messages(session_id, role, content, created_at) VALUES(?, ?, ?, ?)")
                        for p in batch {
                            for m in p.messages { try stmt.run(.text(p.sessionID), .text(m.role), .text(m.content), .double(p.at)) }
                        }
                    }
                }
                pending.mutate { _ in for p in batch { p.outcome = result } }
            }
        } catch {
            pending.mutate { queue in queue.removeAll { $0 === item } }
            throw error
        }
        guard let outcome = pending.mutate({ _ in item.outcome }) else {
            throw SessionStoreError.busy("the append was withdrawn before it was committed")
        }
        try outcome.get()
    }

    /// Deletes a session's history; returns how many messages were removed.
    @discardableResult
    public func clear(_ sessionID: String, deadline: ContinuousClock.Instant? = nil) throws -> Int {
        try write(deadline: deadline) { db in
            try db.prepare("DELETE FROM session_messages WHERE session_id = ?").run(.text(sessionID))
            return db.changes
        }
    }

    // MARK: - Connections

    private func read<T>(_ body: (SQLiteConnection) throws -> T) throws -> T {
        guard let readers else { return try write(deadline: nil, body) }
        return try readers.with(body)
    }

    private func write<T>(deadline: ContinuousClock.Instant?, _ body: (SQLiteConnection) throws -> T) throws -> T {
        let deadline = deadline ?? .now + Self.defaultWriteWait
        let wait = deadline - .now
        guard wait > .zero, writerLock.lock(before: Date().addingTimeInterval(Self.seconds(wait))) else {
            throw SessionStoreError.busy("the session store's writer is busy (waited \(Self.milliseconds(max(wait, .zero))) ms)")
        }
        defer { writerLock.unlock() }
        let left = deadline - .now
        guard left > .zero else { throw SessionStoreError.busy("the session store's writer was busy past the deadline") }
        sqlite3_busy_timeout(writer.handle, Int32(clamping: max(1, Self.milliseconds(left))))
        do {
            return try body(writer)
        } catch let error as SQLiteError where [SQLITE_BUSY, SQLITE_LOCKED].contains(error.code & 0xFF) {
            throw SessionStoreError.busy("the session store is locked by another connection (\(error.message)); gave up after \(Self.milliseconds(wait)) ms")
        }
    }

    public static func milliseconds(_ d: Duration) -> Int {
        Int(d.components.seconds) * 1000 + Int(d.components.attoseconds / 1_000_000_000_000_000)
    }

    static func seconds(_ d: Duration) -> Double {
        Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18
    }
}

/// Why a session-store call failed when SQLite itself did not say.
public enum SessionStoreError: Error, CustomStringConvertible {
    /// The writer or the file's lock was not available before the deadline.
    case busy(String)

    public var description: String {
        switch self {
        case .busy(let message): return message
        }
    }
}
