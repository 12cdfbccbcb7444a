import ArgumentParser
import Foundation
import Hummingbird
import KnowledgeStore
import Logging
import SessionStore
import TonehostCore
import TonehostServer

/// `tonehost serve`: the HTTP API of the original service (default port 5002).
struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Serve the HTTP API (/api/rag-llm/*, /health) with the plugins of the manifest directory.")

    @OptionGroup var options: PluginOptions

    @Option(name: .long, help: "Address to listen on.")
    var host: String = "0.0.0.0"

    @Option(name: .long, help: "Port to listen on.")
    var port: Int = 5002

    @Option(name: .long, help: "URL of a description service (tonehost describe-server or a VLM behind the same contract); enables plugin-manifests/available/describer-vlm-client.toml pointed at it.")
    var userDescriptionServer: String?

    @Flag(name: .long, help: "Initialise the knowledge base at start-up (ingest the sample when it is empty).")
    var autoInit = false

    @Flag(name: .long, help: "Debug logging (same as --log-level debug).")
    var debug = false

    @Option(name: .long, help: "Largest accepted request body, in bytes.")
    var maxBodyBytes: Int = 1 << 20

    @Option(name: .long, help: "Longest accepted question, in characters.")
    var maxMessageLength: Int = 4000

    @Option(name: .long, help: "Messages of session history used per question.")
    var historyMessages: Int = 10

    func run() async throws {
        var logger = options.makeLogger(label: "tonehost", defaultLevel: .info)
        if debug { logger.logLevel = .debug }
        var extra: [String] = []
        var env: [String: String] = [:]
        if let url = userDescriptionServer {
            let manifest = (options.manifestDirectory as NSString).appendingPathComponent("available/describer-vlm-client.toml")
            guard FileManager.default.fileExists(atPath: manifest) else {
                logger.critical("--user-description-server needs \(manifest)")
                throw ExitCode(2)
            }
            extra.append(manifest)
            env["TONEHOST_USER_DESCRIPTION_SERVER"] = url
        }
        let report = try await options.loadReport(logger: logger, additionalManifests: extra, extraEnvironment: env)
        for entry in report.entries {
            if case .failed(let error) = entry.state { logger.error("plugin skipped", metadata: ["reason": "\(error)"]) }
        }
        let generation: PluginGeneration
        do {
            generation = try PluginGeneration(report: report)
        } catch {
            logger.critical("\(error)")
            throw ExitCode(2)
        }
        let dbPath = options.db ?? KnowledgeStore.defaultPath
        let sessions = try await PluginThreadPool.shared.run { try SessionStore(path: dbPath) }
        var settings = ServerSettings()
        settings.host = host
        settings.port = port
        settings.maxBodyBytes = maxBodyBytes
        settings.maxMessageLength = maxMessageLength
        settings.historyMessages = historyMessages
        let runtime = HostRuntime(generation: generation, pipeline: Pipeline(logger: logger), sessions: sessions,
                                  settings: settings, logger: logger)
        let app = try await ServerApplication.api(runtime: runtime, knowledgeBasePath: dbPath, autoInit: autoInit)
        logger.info("tonehost serving", metadata: ["address": "\(host):\(port)", "manifests": "\(options.manifestDirectory)",
                                                   "db": "\(dbPath)", "tones": "\(generation.toneCategories.joined(separator: ","))"])
        try await app.runService()
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
