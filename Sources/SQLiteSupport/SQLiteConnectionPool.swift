import CSQLite
import Foundation

/// Up to `size` connections to one database, each lent to one thread at a time, opened lazily
/// (read-write, no mutex) and set up by `prepare` (busy timeout, pragmas, functions). Callers
/// beyond `size` wait for a connection to come back. Thread-safe.
public final class SQLiteConnectionPool: @unchecked Sendable {
    private let path: String
    private let size: Int
    private let prepare: (SQLiteConnection) throws -> Void
    private var idle: [SQLiteConnection] = []
    private var opened = 0
    private let condition = NSCondition()

    public init(path: String, size: Int, prepare: @escaping (SQLiteConnection) throws -> Void) {
        self.path = path
        self.size = max(1, size)
        self.prepare = prepare
    }

    public func with<T>(_ body: (SQLiteConnection) throws -> T) throws -> T {
        let connection = try acquire()
        defer { release(connection) }
        return try body(connection)
    }

    private func acquire() throws -> SQLiteConnection {
        condition.lock()
        while idle.isEmpty && opened >= size { condition.wait() }
        if let connection = idle.popLast() {
            condition.unlock()
            return connection
        }
        opened += 1
        condition.unlock()
        do {
            let connection = try SQLiteConnection(path: path, flags: SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX)
            try prepare(connection)
            return connection
        } catch {
            condition.lock()
            opened -= 1
            condition.signal()
            condition.unlock()
            throw error
        }
    }

    private func release(_ connection: SQLiteConnection) {
        condition.lock()
        idle.append(connection)
        condition.signal()
        condition.unlock()
    }
}
