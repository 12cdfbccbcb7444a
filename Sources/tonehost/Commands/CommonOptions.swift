import ArgumentParser
import Foundation
import KnowledgeStore
import Logging
import TonehostConfig
import TonehostCore

/// Options shared by the commands that load plugins; named after, and described by, settings of
/// the table (`serve` reads them through it; the other commands read them here).
struct PluginOptions: ParsableArguments {
    @Option(help: .setting(\.manifests)) var manifests: String?
    @Option(help: .setting(\.db)) var db: String?
    @Option(help: .setting(\.logLevel, defaultText: "info for serve, warning for the other commands")) var logLevel: String?

    var manifestDirectory: String {
        let setting = Settings.table.manifests.info
        return manifests ?? ProcessInfo.processInfo.environment[setting.environmentName] ?? setting.defaultValue!
    }

    /// The environment manifests are expanded with: the process environment, plus TONEHOST_DB
    /// when --db is given (so `db = "${TONEHOST_DB:-}"` in a manifest follows the flag).
    var environment: [String: String] {
        var env = ProcessInfo.processInfo.environment
        if let db { env["TONEHOST_DB"] = db }
        return env
    }

    func makeLogger(label: String, defaultLevel: Logger.Level = .warning) -> Logger {
        let levelName = logLevel ?? ProcessInfo.processInfo.environment[Settings.table.logLevel.info.environmentName] ?? defaultLevel.rawValue
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

    /// The active plugins, ready to serve; a set that cannot serve (no llm, no retriever…) is
    /// printed and exits with status 2.
    func loadGeneration(logger: Logger, extraEnvironment: [String: String] = [:]) async throws -> PluginGeneration {
        let report = try await loadReport(logger: logger, extraEnvironment: extraEnvironment)
        return try exitOnError(2, "error: ") { try PluginGeneration(report: report) }
    }
}

/// `--db`, for the commands that work on the store itself (ingest, backup, restore).
struct StoreOption: ParsableArguments {
    @Option(name: .long, help: "The store (default: $TONEHOST_DB, else ~/.local/share/tonehost/tonehost.db).")
    var db: String?

    var path: String { db ?? KnowledgeStore.defaultPath }
}

/// Writes to stderr.
func printError(_ text: String) {
    FileHandle.standardError.write(Data((text + "\n").utf8))
}

extension ExitCode {
    /// The exit of a command that failed with `message`, printed to stderr first.
    init(_ code: Int32, printing message: String) {
        printError(message)
        self.init(code)
    }
}

/// `body`'s value; an error it throws is printed as "`prefix`error" and the command exits with
/// `code` (an ExitCode it throws passes as it is).
func exitOnError<T>(_ code: Int32, _ prefix: String, _ body: () throws -> T) throws -> T {
    do {
        return try body()
    } catch let exit as ExitCode {
        throw exit
    } catch {
        throw ExitCode(code, printing: prefix + "\(error)")
    }
}
