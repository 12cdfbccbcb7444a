import Foundation
import TonehostText
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
        let k = ByteSearch.asciiLowercased(key)
        return ["key", "token", "secret", "password", "authorization", "cookie"].contains { ByteSearch.contains(k, $0) }
    }

    /// Letters, digits, `_`, `.` and `-` stay; anything else becomes `_`. (Keys are nearly
    /// always ASCII: those are checked on bytes.)
    private static func sanitizeKey(_ key: String) -> String {
        if key.utf8.allSatisfy({ isASCIIAlphanumeric($0) || $0 == UInt8(ascii: "_") || $0 == UInt8(ascii: ".") || $0 == UInt8(ascii: "-") }) {
            return key
        }
        return String(key.map { $0.isLetter || $0.isNumber || $0 == "_" || $0 == "." || $0 == "-" ? $0 : "_" })
    }

    private static func isASCIIAlphanumeric(_ b: UInt8) -> Bool {
        (b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x5A) || (b >= 0x61 && b <= 0x7A)
    }

    /// Bare when safe, else double-quoted with `"`, `\` and control characters escaped. On
    /// UTF-8 bytes: a value needs quotes when it has a space, `=`, `"`, `\`, a control byte or
    /// a Unicode line break (U+0085, U+2028, U+2029).
    static func quote(_ s: String) -> String {
        let bytes = s.utf8
        var needs = bytes.isEmpty
        var previous: UInt8 = 0, beforePrevious: UInt8 = 0
        for b in bytes where !needs {
            needs = b == 0x20 || b == UInt8(ascii: "=") || b == UInt8(ascii: "\"") || b == UInt8(ascii: "\\") || b < 0x20 || b == 0x7F
                || (previous == 0xC2 && b == 0x85) || (beforePrevious == 0xE2 && previous == 0x80 && (b == 0xA8 || b == 0xA9))
            beforePrevious = previous
            previous = b
        }
        guard needs else { return s }
        var out: [UInt8] = [UInt8(ascii: "\"")]
        out.reserveCapacity(bytes.count + 8)
        for b in bytes {
            switch b {
            case UInt8(ascii: "\""): out += [UInt8(ascii: "\\"), UInt8(ascii: "\"")]
            case UInt8(ascii: "\\"): out += [UInt8(ascii: "\\"), UInt8(ascii: "\\")]
            case UInt8(ascii: "\n"): out += [UInt8(ascii: "\\"), UInt8(ascii: "n")]
            case UInt8(ascii: "\r"): out += [UInt8(ascii: "\\"), UInt8(ascii: "r")]
            case UInt8(ascii: "\t"): out += [UInt8(ascii: "\\"), UInt8(ascii: "t")]
            default: out.append(b)
            }
        }
        out.append(UInt8(ascii: "\""))
        return String(decoding: out, as: UTF8.self)
    }

    private static func timestamp(_ date: Date) -> String {
        var t = time_t(date.timeIntervalSince1970)
        var tmv = tm()
        gmtime_r(&t, &tmv)
        let ms = Int((date.timeIntervalSince1970 - Double(t)) * 1000)
        // YYYY-MM-DDTHH:MM:SS.mmmZ, digit by digit (String(format:) is Foundation's printf).
        var out = [UInt8]()
        out.reserveCapacity(24)
        func digits(_ value: Int, _ width: Int) {
            var v = max(0, value), d = [UInt8](repeating: UInt8(ascii: "0"), count: width)
            for i in stride(from: width - 1, through: 0, by: -1) {
                d[i] = UInt8(ascii: "0") + UInt8(v % 10)
                v /= 10
            }
            out += d
        }
        digits(Int(tmv.tm_year) + 1900, 4); out.append(UInt8(ascii: "-"))
        digits(Int(tmv.tm_mon) + 1, 2); out.append(UInt8(ascii: "-"))
        digits(Int(tmv.tm_mday), 2); out.append(UInt8(ascii: "T"))
        digits(Int(tmv.tm_hour), 2); out.append(UInt8(ascii: ":"))
        digits(Int(tmv.tm_min), 2); out.append(UInt8(ascii: ":"))
        digits(Int(tmv.tm_sec), 2); out.append(UInt8(ascii: "."))
        digits(ms, 3); out.append(UInt8(ascii: "Z"))
        return String(decoding: out, as: UTF8.self)
    }
}
