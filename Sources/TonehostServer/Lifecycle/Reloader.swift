import Foundation
import Logging
import TonehostConfig
import TonehostCore

/// SIGHUP and `POST /admin/reload`: re-read the configuration and the manifests, build a new
/// plugin generation and swap it in. Requests in flight finish on the generation they took.
/// A reload that cannot build a complete generation keeps the running one. One at a time.
public actor Reloader {
    public struct Outcome: Sendable {
        public var ok: Bool
        public var generation: Int
        public var report: LoadReport?
        public var errors: [String]
        public var restartRequired: [String]
    }

    private let runtime: HostRuntime
    private let readConfig: @Sendable () throws -> DaemonConfig
    private var config: DaemonConfig
    private var number: Int
    private let logger: Logger

    /// - readConfig: re-reads the configuration (the file and environment; flags stay as given).
    public init(runtime: HostRuntime, config: DaemonConfig, generation: Int, logger: Logger,
                readConfig: @escaping @Sendable () throws -> DaemonConfig) {
        self.runtime = runtime
        self.config = config
        self.number = generation
        self.logger = logger
        self.readConfig = readConfig
    }

    public func reload(trigger: String) async -> Outcome {
        logger.notice("reload started", metadata: ["trigger": "\(trigger)", "generation": "\(number)"])
        let outcome = await attempt()
        TonehostMetrics.shared.reloaded(ok: outcome.ok)
        if outcome.ok {
            logger.notice("reload done", metadata: ["generation": "\(outcome.generation)",
                                                   "tones": "\(runtime.generation?.toneCategories.joined(separator: ",") ?? "")",
                                                   "describer": "\(runtime.generation?.describer?.name ?? "none")"])
        } else {
            logger.error("reload failed; the running plugins stay", metadata: ["generation": "\(number)",
                                                                               "reason": "\(outcome.errors.joined(separator: "; "))"])
        }
        for w in outcome.report?.warnings ?? [] { logger.warning("reload warning", metadata: ["warning": "\(w)"]) }
        if !outcome.restartRequired.isEmpty {
            logger.warning("some changed settings only apply after a restart", metadata: ["settings": "\(outcome.restartRequired.joined(separator: ","))"])
        }
        return outcome
    }

    private func attempt() async -> Outcome {
        guard runtime.generation != nil else {
            return Outcome(ok: false, generation: 0, report: nil, errors: ["still starting: the first plugin load has not finished"], restartRequired: [])
        }
        let fresh: DaemonConfig
        let loader: PluginLoader
        do {
            fresh = try readConfig()
            loader = try DaemonSetup.loader(fresh, logger: logger)
        } catch {
            return Outcome(ok: false, generation: number, report: nil, errors: ["\(error)"], restartRequired: [])
        }
        let report: LoadReport
        do {
            // dlopen and plugin create may block: off the cooperative pool.
            report = try await PluginThreadPool.shared.run { loader.load() }
        } catch {
            return Outcome(ok: false, generation: number, report: nil, errors: ["\(error)"], restartRequired: [])
        }
        let restartOnly = fresh.changedKeys(from: config).filter { Settings.named($0)?.reloadable == false }
        let generation: PluginGeneration
        do {
            generation = try PluginGeneration(report: report, number: number + 1)
        } catch {
            return Outcome(ok: false, generation: number, report: report, errors: report.fatal, restartRequired: restartOnly)
        }
        number += 1
        // Settings first, then plugins: a request that sees the new generation also sees the new deadlines.
        var settings = ServerSettings(config: fresh)
        let running = runtime.settings
        settings.host = running.host
        settings.port = running.port
        settings.maxBodyBytes = running.maxBodyBytes
        var pipeline = runtime.pipeline
        pipeline.settings = PipelineSettings(config: fresh)
        runtime.update(pipeline: pipeline, settings: settings)
        if let level = Logger.Level(rawValue: fresh[\.logLevel]) {
            var l = logger
            l.logLevel = level  // the level is shared by every logger of the process
        }
        // An initialised knowledge base stays initialised across a reload: the new retriever is
        // initialised before it takes over (a failure is logged and clears rag_initialized).
        if runtime.retrieverState.initialized {
            await runtime.retrieverState.initialize(generation.retriever, logger: logger)
        }
        runtime.swap(to: generation)
        config = fresh
        return Outcome(ok: true, generation: number, report: report, errors: [], restartRequired: restartOnly)
    }
}
