import CSQLite
import Foundation

/// Online copies with SQLite's backup API: the copy is one consistent snapshot even while
/// other connections (a running server) keep writing — WAL readers never block writers.
public enum SQLiteBackup {
    public struct Result: Sendable {
        public var pages: Int
        public var bytes: Int
    }

    /// Copies the database at `source` into `destination` (replaced), then checks the copy.
    /// Both go through SQLite, so a WAL-mode source's committed transactions are included.
    @discardableResult
    public static func copy(from source: String, to destination: String, busyTimeoutMilliseconds: Int32 = 10_000) throws -> Result {
        guard FileManager.default.fileExists(atPath: source) else {
            throw SQLiteError(code: SQLITE_CANTOPEN, message: "\(source) does not exist")
        }
        let src = try SQLiteConnection(path: source, flags: SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX)
        sqlite3_busy_timeout(src.handle, busyTimeoutMilliseconds)
        let dst = try SQLiteConnection(path: destination, flags: SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX)
        sqlite3_busy_timeout(dst.handle, busyTimeoutMilliseconds)
        guard let backup = sqlite3_backup_init(dst.handle, "main", src.handle, "main") else { throw dst.error(sqlite3_errcode(dst.handle)) }
        // All pages in one step: one read transaction on the source, so one snapshot.
        var rc: Int32
        repeat {
            rc = sqlite3_backup_step(backup, -1)
            if rc == SQLITE_BUSY || rc == SQLITE_LOCKED { sqlite3_sleep(50) }
        } while rc == SQLITE_OK || rc == SQLITE_BUSY || rc == SQLITE_LOCKED
        let pages = Int(sqlite3_backup_pagecount(backup))
        let finish = sqlite3_backup_finish(backup)
        guard rc == SQLITE_DONE else { throw SQLiteError(code: rc, message: "backup step: " + String(cString: sqlite3_errstr(rc))) }
        guard finish == SQLITE_OK else { throw dst.error(finish) }
        let pageSize = Int(try dst.scalarInt("PRAGMA page_size") ?? 4096)
        return Result(pages: pages, bytes: pages * pageSize)
    }

    /// `PRAGMA integrity_check`: "ok", or the problems found.
    public static func integrityCheck(_ path: String) throws -> [String] {
        guard FileManager.default.fileExists(atPath: path) else {
            throw SQLiteError(code: SQLITE_CANTOPEN, message: "\(path) does not exist")
        }
        let db = try SQLiteConnection(path: path, flags: SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX)
        let stmt = try db.prepare("PRAGMA integrity_check")
        defer { stmt.reset() }
        var lines: [String] = []
        while try stmt.step() { lines.append(stmt.text(0)) }
        return lines
    }
}
