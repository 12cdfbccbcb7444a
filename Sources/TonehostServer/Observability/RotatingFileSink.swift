import Foundation

/// Appends log lines to a file; when it would grow past `maxBytes`, renames FILE → FILE.1 →
/// … → FILE.<keep> (the oldest is dropped) and starts a new FILE. Thread-safe.
/// A file another tool rotated away (logrotate's `create`) is reopened on the next rotation.
public final class RotatingFileSink: LogSink, @unchecked Sendable {
    public let path: String
    private let maxBytes: Int
    private let keep: Int
    private let lock = NSLock()
    private var fd: Int32 = -1
    private var size = 0

    public init(path: String, maxBytes: Int, keep: Int) throws {
        self.path = path
        self.maxBytes = max(maxBytes, 4096)
        self.keep = max(keep, 1)
        try? FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try open()
    }

    deinit { if fd >= 0 { close(fd) } }

    private func open() throws {
        fd = Glibc.open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o640)
        guard fd >= 0 else { throw CocoaError(.fileWriteNoPermission, userInfo: [NSFilePathErrorKey: path]) }
        var st = stat()
        size = fstat(fd, &st) == 0 ? Int(st.st_size) : 0
    }

    public func write(_ line: String) {
        let bytes = Array(line.utf8)
        lock.lock()
        defer { lock.unlock() }
        if size > 0 && size + bytes.count > maxBytes { rotate() }
        guard fd >= 0 else { return }
        let n = bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
        if n > 0 { size += n }
    }

    private func rotate() {
        close(fd)
        fd = -1
        let fm = FileManager.default
        try? fm.removeItem(atPath: "\(path).\(keep)")
        for i in stride(from: keep - 1, through: 1, by: -1) where fm.fileExists(atPath: "\(path).\(i)") {
            rename("\(path).\(i)", "\(path).\(i + 1)")
        }
        rename(path, "\(path).1")
        try? open()
    }
}
