import ArgumentParser
import Foundation
import Hummingbird
import KnowledgeStore
import Logging
import NIOCore
import NIOPosix
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

    @OptionGroup var serve: ServeOptions

    func run() async throws {
        let flags = serve.flagValues
        let configFile = serve.daemon.config
        let (config, logger) = try exitOnError(2, "tonehost: ") {
            let config = try DaemonConfig(flags: flags, configFile: configFile, environment: ProcessInfo.processInfo.environment)
            let logger = try DaemonLogging.bootstrap(config)
            if config[\.traceLog] { LogTracer.bootstrap(logger: Logger(label: "tonehost.trace")) }
            return (config, logger)
        }
        if config[\.executor] == "event-loops" {
            // Tasks then run on the event loop that serves their connection: no thread
            // hand-over per await between Swift's pool and the socket's thread. Once, before
            // the server starts any task (it cannot be undone or repeated).
            if NIOSingletons.unsafeTryInstallSingletonPosixEventLoopGroupAsConcurrencyGlobalExecutor() {
                // A task resumed by one of the host's threads goes back to its own loop.
                // A paced write waits on its loop's own timer.
                ResumeAffinity.install({
                    guard let loop = MultiThreadedEventLoopGroup.currentEventLoop else { return nil }
                    return { work in loop.inEventLoop ? work() : loop.execute(work) }
                }, delay: {
                    guard let loop = MultiThreadedEventLoopGroup.currentEventLoop else { return nil }
                    return { nanoseconds, work in
                        let task = loop.scheduleTask(in: .nanoseconds(Int64(min(nanoseconds, UInt64(Int64.max)))), work)
                        return { task.cancel() }
                    }
                })
            } else {
                logger.warning("executor = event-loops: NIO could not take over Swift's global executor; tasks run on dispatch")
            }
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
