import ArgumentParser
import Foundation
import Logging
import TonehostCore

/// Options shared by the commands that load plugins.
struct PluginOptions: ParsableArguments {
    @Option(name: .long, help: "Manifest directory (default: $TONEHOST_MANIFESTS, else ./plugin-manifests).")
    var manifests: String?

    @Option(name: .long, help: "Knowledge-base store (default: $TONEHOST_DB, else ~/.local/share/tonehost/tonehost.db).")
    var db: String?

    @Option(name: .long, help: "Log level: trace, debug, info, notice, warning, error (default: $TONEHOST_LOG_LEVEL, else warning).")
    var logLevel: String?

    var manifestDirectory: String {
        manifests ?? ProcessInfo.processInfo.environment["TONEHOST_MANIFESTS"] ?? "plugin-manifests"
    }

    /// The environment manifests are expanded with: the process environment, plus TONEHOST_DB
    /// when --db is given (so `db = "${TONEHOST_DB:-}"` in a manifest follows the flag).
    var environment: [String: String] {
        var env = ProcessInfo.processInfo.environment
        if let db { env["TONEHOST_DB"] = db }
        return env
    }

    func makeLogger(label: String, defaultLevel: Logger.Level = .warning) -> Logger {
        let levelName = logLevel ?? ProcessInfo.processInfo.environment["TONEHOST_LOG_LEVEL"] ?? defaultLevel.rawValue
        var logger = Logger(label: label) { StreamLogHandler.standardError(label: $0) }
        logger.logLevel = Logger.Level(rawValue: levelName.lowercased()) ?? defaultLevel
        return logger
    }

    /// Loads the active manifests on the plugin threads (dlopen and create may block).
    func loadReport(logger: Logger, additionalManifests: [String] = [], extraEnvironment: [String: String] = [:]) async throws -> LoadReport {
        let loader = PluginLoader(directory: manifestDirectory, environment: environment.merging(extraEnvironment) { $1 },
                                  logger: logger, additionalManifests: additionalManifests)
        return try await PluginThreadPool.shared.run { loader.load() }
    }
}

/// Writes to stderr.
func printError(_ text: String) {
    FileHandle.standardError.write(Data((text + "\n").utf8))
}
