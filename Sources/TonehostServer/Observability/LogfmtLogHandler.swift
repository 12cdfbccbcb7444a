import Foundation
import Logging
import TonehostConfig

/// The process-wide log level, shared by every logger so a reload can change it at once.
public final class LogLevelControl: @unchecked Sendable {
    private let lock = NSLock()
    private var level: Logger.Level
    public init(_ level: Logger.Level) { self.level = level }
    public var value: Logger.Level {
        get { lock.lock(); defer { lock.unlock() }; return level }
        set { lock.lock(); level = newValue; lock.unlock() }
    }
}

/// Where formatted lines go: stderr (journald picks it up) or a size-rotated file.
public protocol LogSink: Sendable {
    func write(_ line: String)
}

public struct StandardErrorSink: LogSink {
    public init() {}
    public func write(_ line: String) {
        FileHandle.standardError.write(Data(line.utf8))
    }
}

/// One line per event in logfmt: `ts=… level=info label=tonehost msg="…" request=ab12 key=value`.
/// Values of metadata keys that look secret (key, token, secret, password, authorization) are masked.
public struct LogfmtLogHandler: LogHandler {
    public var metadata: Logger.Metadata = [:]
    public var metadataProvider: Logger.MetadataProvider?
    private let label: String
    private let sink: any LogSink
    private let level: LogLevelControl

    public init(label: String, sink: any LogSink, level: LogLevelControl) {
        self.label = label
        self.sink = sink
        self.level = level
    }

    /// Every logger shares the process level: setting it on one logger sets it for all.
    public var logLevel: Logger.Level {
        get { level.value }
        set { level.value = newValue }
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(level: Logger.Level, message: Logger.Message, metadata explicit: Logger.Metadata?,
                    source: String, file: String, function: String, line: UInt) {
        var all = self.metadata
        if let provided = metadataProvider?.get() { all.merge(provided) { $1 } }
        if let explicit { all.merge(explicit) { $1 } }
        sink.write(Self.format(date: Date(), level: level, label: label, message: "\(message)", metadata: all))
    }

    static func format(date: Date, level: Logger.Level, label: String, message: String, metadata: Logger.Metadata) -> String {
        var out = "ts=\(timestamp(date)) level=\(level.rawValue) label=\(quote(label)) msg=\(quote(message))"
        // The request id first: it is what an operator greps for.
        if let request = metadata["request"] { out += " request=\(quote("\(request)"))" }
        for (key, value) in metadata.sorted(by: { $0.key < $1.key }) where key != "request" {
            let text = looksSecret(key) ? DaemonConfig.mask("\(value)") : "\(value)"
            out += " \(sanitizeKey(key))=\(quote(text))"
        }
        return out + "\n"
    }

    /// Log metadata has no settings table, so a metadata key that looks like it holds a secret
    /// (`api_key`, `authorization` …) is masked by its name — a guard for plugins' and handlers'
    /// metadata. Settings are never masked this way (`config print` follows the table).
    static func looksSecret(_ key: String) -> Bool {
        let k = key.lowercased()
        return ["key", "token", "secret", "password", "authorization", "cookie"].contains { k.contains($0) }
    }

    private static func sanitizeKey(_ key: String) -> String {
        String(key.map { $0.isLetter || $0.isNumber || $0 == "_" || $0 == "." || $0 == "-" ? $0 : "_" })
    }

    /// Bare when safe, else double-quoted with `"`, `\` and control characters escaped.
    static func quote(_ s: String) -> String {
        let needs = s.isEmpty || s.contains { $0 == " " || $0 == "=" || $0 == "\"" || $0 == "\\" || $0.isNewline || ($0.asciiValue.map { $0 < 0x20 } ?? false) }
        guard needs else { return s }
        var out = "\""
        for ch in s {
            switch ch {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            default: out.append(ch)
            }
        }
        return out + "\""
    }

    private static func timestamp(_ date: Date) -> String {
        var t = time_t(date.timeIntervalSince1970)
        var tmv = tm()
        gmtime_r(&t, &tmv)
        let ms = Int((date.timeIntervalSince1970 - Double(t)) * 1000)
        return String(format: "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tmv.tm_year + 1900, tmv.tm_mon + 1, tmv.tm_mday,
                      tmv.tm_hour, tmv.tm_min, tmv.tm_sec, ms)
    }
}
