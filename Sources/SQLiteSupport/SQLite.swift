import CSQLite
import Foundation

/// A thin wrapper over libsqlite3's C API: one connection, its cached prepared statements.
///
/// Not thread-safe by itself: connections are opened with SQLITE_OPEN_NOMUTEX and each one is
/// used by a single thread at a time (KnowledgeStore hands them out from a pool / under a lock).

/// SQLITE_TRANSIENT is a C macro Swift cannot import: "copy the bytes before returning".
public let sqliteTransient = unsafeBitCast(-1, to: sqlite3_destructor_type.self)

public struct SQLiteError: Error, CustomStringConvertible {
    public let code: Int32
    public let message: String
    public init(code: Int32, message: String) {
        self.code = code
        self.message = message
    }
    public var description: String { "SQLite error \(code): \(message)" }
}

public final class SQLiteConnection {
    public let handle: OpaquePointer
    public let path: String
    private var statements: [String: SQLiteStatement] = [:]

    public init(path: String, flags: Int32) throws {
        var db: OpaquePointer?
        let rc = sqlite3_open_v2(path, &db, flags, nil)
        guard rc == SQLITE_OK, let db else {
            let message = db.map { String(cString: sqlite3_errmsg($0)) } ?? String(cString: sqlite3_errstr(rc))
            if let db { sqlite3_close_v2(db) }
            throw SQLiteError(code: rc, message: message)
        }
        handle = db
        self.path = path
        sqlite3_extended_result_codes(db, 1)
    }

    deinit {
        statements.removeAll()  // finalizes (SQLiteStatement.deinit) before the close
        sqlite3_close_v2(handle)
    }

    public var errorMessage: String { String(cString: sqlite3_errmsg(handle)) }

    public func error(_ rc: Int32) -> SQLiteError { SQLiteError(code: rc, message: errorMessage) }

    /// Runs one or more statements that return no rows we care about.
    public func exec(_ sql: String) throws {
        var err: UnsafeMutablePointer<CChar>?
        let rc = sqlite3_exec(handle, sql, nil, nil, &err)
        if rc != SQLITE_OK {
            let message = err.map { String(cString: $0) } ?? errorMessage
            sqlite3_free(err)
            throw SQLiteError(code: rc, message: message)
        }
    }

    /// A cached prepared statement, reset and with its bindings cleared.
    public func prepare(_ sql: String) throws -> SQLiteStatement {
        if let cached = statements[sql] {
            cached.reset()
            return cached
        }
        var stmt: OpaquePointer?
        let rc = sqlite3_prepare_v3(handle, sql, -1, UInt32(SQLITE_PREPARE_PERSISTENT), &stmt, nil)
        guard rc == SQLITE_OK, let stmt else { throw error(rc) }
        let statement = SQLiteStatement(handle: stmt, connection: self)
        statements[sql] = statement
        return statement
    }

    /// First column of the first row as Int64 (nil when there is no row).
    public func scalarInt(_ sql: String, _ bindings: [SQLiteValue] = []) throws -> Int64? {
        let stmt = try prepare(sql)
        defer { stmt.reset() }
        try stmt.bind(bindings)
        return try stmt.step() ? stmt.int(0) : nil
    }

    /// Runs `body` in a transaction (BEGIN IMMEDIATE for writers), committing on success and
    /// rolling back on any thrown error.
    public func transaction<T>(immediate: Bool = true, _ body: () throws -> T) throws -> T {
        try exec(immediate ? "BEGIN IMMEDIATE" : "BEGIN")
        do {
            let result = try body()
            try exec("COMMIT")
            return result
        } catch {
            try? exec("ROLLBACK")
            throw error
        }
    }

    public var changes: Int { Int(sqlite3_changes(handle)) }
    public var lastInsertRowID: Int64 { sqlite3_last_insert_rowid(handle) }
}

public enum SQLiteValue {
    case int(Int64)
    case double(Double)
    case text(String)
    case blob([UInt8])
    case null
}

public final class SQLiteStatement {
    public let handle: OpaquePointer
    public unowned let connection: SQLiteConnection

    public init(handle: OpaquePointer, connection: SQLiteConnection) {
        self.handle = handle
        self.connection = connection
    }

    deinit { sqlite3_finalize(handle) }

    public func reset() {
        sqlite3_reset(handle)
        sqlite3_clear_bindings(handle)
    }

    public func bind(_ values: [SQLiteValue]) throws {
        for (i, value) in values.enumerated() { try bind(value, at: Int32(i + 1)) }
    }

    public func bind(_ values: SQLiteValue...) throws { try bind(values) }

    public func bind(_ value: SQLiteValue, at index: Int32) throws {
        let rc: Int32
        switch value {
        case .int(let v): rc = sqlite3_bind_int64(handle, index, v)
        case .double(let v): rc = sqlite3_bind_double(handle, index, v)
        case .null: rc = sqlite3_bind_null(handle, index)
        case .blob(let bytes):
            rc = bytes.withUnsafeBytes { buf in sqlite3_bind_blob(handle, index, buf.baseAddress ?? UnsafeRawPointer(bitPattern: 1), Int32(buf.count), sqliteTransient) }
        case .text(var s):
            rc = s.withUTF8 { buf -> Int32 in
                guard let base = buf.baseAddress, buf.count > 0 else {
                    return sqlite3_bind_text(handle, index, "", 0, sqliteTransient)  // "" and not NULL
                }
                return UnsafeRawPointer(base).withMemoryRebound(to: CChar.self, capacity: buf.count) {
                    sqlite3_bind_text(handle, index, $0, Int32(buf.count), sqliteTransient)
                }
            }
        }
        if rc != SQLITE_OK { throw connection.error(rc) }
    }

    /// Binds a pointer for an extension function (sqlite3_bind_pointer); `type` must be a
    /// C string that lives as long as the statement may run.
    public func bindPointer(_ pointer: UnsafeMutableRawPointer, type: UnsafePointer<CChar>, at index: Int32) throws {
        let rc = sqlite3_bind_pointer(handle, index, pointer, type, nil)
        if rc != SQLITE_OK { throw connection.error(rc) }
    }

    /// Advances: true when a row is available, false when done.
    @discardableResult
    public func step() throws -> Bool {
        let rc = sqlite3_step(handle)
        switch rc {
        case SQLITE_ROW: return true
        case SQLITE_DONE: return false
        default: throw connection.error(rc)
        }
    }

    /// Binds, steps to completion, resets.
    public func run(_ values: SQLiteValue...) throws {
        defer { reset() }
        try bind(values)
        while try step() {}
    }

    public func int(_ column: Int32) -> Int64 { sqlite3_column_int64(handle, column) }
    public func double(_ column: Int32) -> Double { sqlite3_column_double(handle, column) }
    public func text(_ column: Int32) -> String {
        guard let p = sqlite3_column_text(handle, column) else { return "" }
        let n = Int(sqlite3_column_bytes(handle, column))
        return String(decoding: UnsafeBufferPointer(start: p, count: n), as: UTF8.self)
    }
    /// Calls `body` with a BLOB column's bytes (valid only inside `body`).
    public func withBlob<T>(_ column: Int32, _ body: (UnsafeRawBufferPointer) -> T) -> T {
        let p = sqlite3_column_blob(handle, column)
        let n = Int(sqlite3_column_bytes(handle, column))
        return body(UnsafeRawBufferPointer(start: p, count: p == nil ? 0 : n))
    }
    /// Calls `body` with the column's UTF-8 bytes without copying them into a String.
    public func withBytes<T>(_ column: Int32, _ body: (UnsafeBufferPointer<UInt8>) -> T) -> T {
        guard let p = sqlite3_column_text(handle, column) else { return body(UnsafeBufferPointer(start: nil, count: 0)) }
        let n = Int(sqlite3_column_bytes(handle, column))
        return body(UnsafeBufferPointer(start: p, count: n))
    }
}
