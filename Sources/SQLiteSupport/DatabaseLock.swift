import Foundation
import CSQLite

/// An advisory lock next to a database file (`<db>.lock`): servers hold it shared while they
/// run (several may share one store); `tonehost restore` needs it exclusive, so it cannot
/// replace a store under a running server. The lock goes away with the process.
public final class DatabaseLock: @unchecked Sendable {
    public let path: String
    private let fd: Int32

    public static func lockPath(for database: String) -> String { database + ".lock" }

    private init(path: String, fd: Int32) {
        self.path = path
        self.fd = fd
    }

    deinit { close(fd) }

    /// Takes the lock without waiting; nil when another process holds it incompatibly.
    public static func acquire(database: String, exclusive: Bool) throws -> DatabaseLock? {
        let path = lockPath(for: database)
        try? FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        let fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o640)
        guard fd >= 0 else {
            let reason = String(cString: strerror(errno))
            throw SQLiteError(code: SQLITE_CANTOPEN, message: "cannot create the lock file \(path): \(reason) (the data directory must exist and be writable)")
        }
        if flock(fd, (exclusive ? LOCK_EX : LOCK_SH) | LOCK_NB) != 0 {
            close(fd)
            return nil
        }
        return DatabaseLock(path: path, fd: fd)
    }
}
