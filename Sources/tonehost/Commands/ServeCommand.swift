import ArgumentParser
import Foundation
import Hummingbird
import KnowledgeStore
import Logging
import SessionStore
import TonehostCore
import TonehostConfig
import TonehostServer

/// `tonehost serve`: the HTTP API of the original service (default port 5002), run as a daemon:
/// SIGTERM/SIGINT drain, SIGHUP reload, probes, metrics, logfmt logs.
struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Serve the HTTP API (/api/rag-llm/*, /health, /livez, /readyz, /metrics) with the plugins of the manifest directory.",
        discussion: "Every setting can also come from the environment (TONEHOST_<NAME>) or the --config file; flags win over the environment, which wins over the file. `tonehost config print` shows the result.")

    @OptionGroup var options: PluginOptions
    @OptionGroup var daemon: DaemonOptions

    @Option(name: .long, help: "Address to listen on (default 0.0.0.0).")
    var host: String?

    @Option(name: .long, help: "Port to listen on (default 5002).")
    var port: Int?

    @Option(name: .long, help: "URL of a description service (tonehost describe-server or a VLM behind the same contract); enables plugin-manifests/available/describer-vlm-client.toml pointed at it.")
    var userDescriptionServer: String?

    @Flag(name: .long, help: "Initialise the knowledge base at start-up (ingest the sample when it is empty).")
    var autoInit = false

    @Flag(name: .long, help: "Debug logging (same as --log-level debug).")
    var debug = false

    @Option(name: .long, help: "Largest accepted request body, in bytes (default 1 MiB).")
    var maxBodyBytes: Int?

    @Option(name: .long, help: "Longest accepted question, in characters (default 4000).")
    var maxMessageLength: Int?

    @Option(name: .long, help: "Messages of session history used per question (default 10).")
    var historyMessages: Int?

    /// The settings given on the command line, by config key.
    var flagValues: [String: String] {
        var v = daemon.flagValues
        v["host"] = host
        v["port"] = port.map(String.init)
        v["db"] = options.db
        v["manifests"] = options.manifests
        v["log_level"] = debug ? "debug" : options.logLevel
        v["user_description_server"] = userDescriptionServer
        v["auto_init"] = autoInit ? "true" : nil
        v["max_body_bytes"] = maxBodyBytes.map(String.init)
        v["max_message_length"] = maxMessageLength.map(String.init)
        v["history_messages"] = historyMessages.map(String.init)
        return v
    }

    func run() async throws {
        let flags = flagValues
        let configFile = daemon.config
        let config: DaemonConfig
        let logger: Logger
        do {
            config = try DaemonConfig(flags: flags, configFile: configFile, environment: ProcessInfo.processInfo.environment)
            logger = try DaemonLogging.bootstrap(config)
        } catch {
            printError("tonehost: \(error)")
            throw ExitCode(2)
        }
        let outcome = try await Daemon(config: config, logger: logger) {
            try DaemonConfig(flags: flags, configFile: configFile, environment: ProcessInfo.processInfo.environment)
        }.run()
        if outcome != 0 { throw ExitCode(outcome) }
    }
}

/// `tonehost describe-server`: the description service contract (default port 5003).
struct DescribeServerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "describe-server",
        abstract: "Serve the visitor-description contract (/visual-context/{id}, /api/get-user-description …) from the describer plugin.")

    @OptionGroup var options: PluginOptions

    @Option(name: .long, help: "Address to listen on.")
    var host: String = "0.0.0.0"

    @Option(name: .long, help: "Port to listen on.")
    var port: Int = 5003

    @Option(name: .long, help: "Describer deadline in milliseconds (a manifest deadline_ms wins).")
    var deadlineMs: Int = 5000

    func run() async throws {
        let logger = options.makeLogger(label: "tonehost-describe", defaultLevel: .info)
        let report = try await options.loadReport(logger: logger)
        guard let describer = report.entries.compactMap(\.plugin).first(where: { $0.kind == .describer }) else {
            logger.critical("no describer plugin loaded from \(options.manifestDirectory)")
            throw ExitCode(2)
        }
        let deadline = Duration.milliseconds(describer.manifest.deadlineMilliseconds ?? deadlineMs)
        let app = ServerApplication.describer(describer, deadline: deadline, host: host, port: port, logger: logger)
        logger.info("description server", metadata: ["address": "\(host):\(port)", "describer": "\(describer.name)"])
        try await app.runService()
    }
}
