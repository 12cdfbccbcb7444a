import ArgumentParser
import Foundation
import Logging
import TonehostCore

/// `tonehost plugin-worker --manifest FILE`: what the host starts for a plugin with
/// `isolation = "process"`; not for use by hand.
struct PluginWorkerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "plugin-worker",
        abstract: "Serve one plugin to the host over stdin/stdout (started by the host for isolation = \"process\").",
        shouldDisplay: false)

    @Option(help: "The plugin's manifest.")
    var manifest: String

    func run() async throws {
        var logger = Logger(label: "tonehost-worker") { StreamLogHandler.standardError(label: $0) }
        logger.logLevel = Logger.Level(rawValue: ProcessInfo.processInfo.environment["TONEHOST_LOG_LEVEL"] ?? "warning") ?? .warning
        let status = await PluginWorker.serve(manifestFile: manifest, environment: ProcessInfo.processInfo.environment, logger: logger)
        if status != 0 { throw ExitCode(status) }
    }
}
