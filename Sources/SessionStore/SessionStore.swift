import CSQLite
import Foundation
import SQLiteSupport

/// Conversation history per session, in SQLite (the same file as the knowledge base by
/// default), so it survives restarts and can be shared by several hosts on one volume.
/// Every method blocks: call it off the cooperative pool. Thread-safe (one connection, a lock).
public final class SessionStore: @unchecked Sendable {
    public struct Message: Sendable, Equatable {
        public var role: String
        public var content: String
        public init(role: String, content: String) {
            self.role = role
            self.content = content
        }
    }

    private let db: SQLiteConnection
    private let lock = NSLock()
    public let path: String

    public init(path: String) throws {
        self.path = path
        if path != ":memory:" {
            try? FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        }
        db = try SQLiteConnection(path: path, flags: SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX)
        sqlite3_busy_timeout(db.handle, 5000)
        if path != ":memory:" { try db.exec("PRAGMA journal_mode=WAL") }
        try db.exec("""
            CREATE TABLE IF NOT EXISTS session_messages(
                id INTEGER PRIMARY KEY,
                session_id TEXT NOT NULL,
                role TEXT NOT NULL,
                content TEXT NOT NULL,
                created_at REAL NOT NULL);
            CREATE INDEX IF NOT EXISTS session_messages_by_session ON session_messages(session_id, id);
            """)
    }

    /// The last `limit` messages of a session, oldest first (all when limit is nil).
    public func history(_ sessionID: String, limit: Int? = nil) throws -> [Message] {
        lock.lock()
        defer { lock.unlock() }
        let stmt = try db.prepare("SELECT role, content FROM session_messages WHERE session_id = ? ORDER BY id DESC LIMIT ?")
        defer { stmt.reset() }
        try stmt.bind(.text(sessionID), .int(Int64(limit ?? -1)))
        var out: [Message] = []
        while try stmt.step() { out.append(Message(role: stmt.text(0), content: stmt.text(1))) }
        return out.reversed()
    }

    public func count(_ sessionID: String) throws -> Int {
        lock.lock()
        defer { lock.unlock() }
        return Int(try db.scalarInt("SELECT count(*) FROM session_messages WHERE session_id = ?", [.text(sessionID)]) ?? 0)
    }

    /// Appends messages in one transaction.
    public func append(_ sessionID: String, _ messages: [Message]) throws {
        lock.lock()
        defer { lock.unlock() }
        let now = Date().timeIntervalSince1970
        try db.transaction {
            let stmt = try db.prepare("INSERT INTO session_messages(session_id, role, content, created_at) VALUES(?, ?, ?, ?)")
            for m in messages { try stmt.run(.text(sessionID), .text(m.role), .text(m.content), .double(now)) }
        }
    }

    /// Deletes a session's history; returns how many messages were removed.
    @discardableResult
    public func clear(_ sessionID: String) throws -> Int {
        lock.lock()
        defer { lock.unlock() }
        try db.prepare("DELETE FROM session_messages WHERE session_id = ?").run(.text(sessionID))
        return db.changes
    }
}
