import Logging
import TonehostConfig

/// Process-wide logging for `tonehost serve`: logfmt lines to stderr (journald) or to a
/// size-rotated file, one level for every logger (so a reload can change it).
public enum DaemonLogging {
    public static let level = LogLevelControl(.info)

    /// Bootstraps swift-log once and returns the daemon's logger.
    public static func bootstrap(_ config: DaemonConfig) throws -> Logger {
        let sink: any LogSink
        if let file = config[\.logFile] {
            sink = try RotatingFileSink(path: file, maxBytes: config[\.logMaxBytes], keep: config[\.logKeep])
        } else {
            sink = StandardErrorSink()
        }
        level.value = Logger.Level(rawValue: config[\.logLevel]) ?? .info
        LoggingSystem.bootstrap { label in LogfmtLogHandler(label: label, sink: sink, level: level) }
        return Logger(label: "tonehost")
    }
}
