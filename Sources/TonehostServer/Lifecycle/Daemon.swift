import Foundation
import Logging
import ServiceLifecycle
import SessionStore
import SessionStorePostgres
import SQLiteSupport
import TonehostConfig
import TonehostCore
import UnixSignals

/// `tonehost serve` as a daemon. The listener comes up at once (`/livez` answers, `/readyz`
/// says 503 "starting") while the plugins load; API requests arriving meanwhile wait for them.
/// SIGTERM/SIGINT: not ready → (drain delay) → stop accepting → in-flight streams finish within
/// the grace period → exit 0; a second signal exits at once. SIGHUP: reload.
public struct Daemon {
    let config: DaemonConfig
    let logger: Logger
    let readConfig: @Sendable () throws -> DaemonConfig

    public init(config: DaemonConfig, logger: Logger, readConfig: @escaping @Sendable () throws -> DaemonConfig) {
        self.config = config
        self.logger = logger
        self.readConfig = readConfig
    }

    /// Runs until shut down; returns the exit status (0 after a drain, 2 when start-up failed).
    public func run() async throws -> Int32 {
        let dbPath = DaemonSetup.databasePath(config)
        // Held (shared) while serving, so `tonehost restore` refuses to replace the store under us.
        let acquired: DatabaseLock?
        do {
            acquired = try DatabaseLock.acquire(database: dbPath, exclusive: false)
        } catch {
            logger.critical("cannot open the store", metadata: ["db": "\(dbPath)", "error": "\(error)"])
            return 2
        }
        guard let dbLock = acquired else {
            logger.critical("the store is locked by a restore in progress", metadata: ["db": "\(dbPath)"])
            return 2
        }
        let sessions: any SessionHistoryStore
        let postgres: PostgresSessionStore?
        do {
            (sessions, postgres) = try await DaemonSetup.sessionStore(config, databasePath: dbPath, logger: logger)
        } catch {
            logger.critical("cannot open the session store", metadata: ["db": "\(dbPath)", "error": "\(error)"])
            return 2
        }
        defer { postgres?.shutdown() }
        let runtime = HostRuntime(pipeline: Pipeline(settings: PipelineSettings(config: config), logger: logger),
                                  sessions: sessions, shared: postgres, settings: ServerSettings(config: config), logger: logger)
        let reloader = Reloader(runtime: runtime, config: config, generation: 1, logger: logger, readConfig: readConfig)
        let settings = runtime.settings
        let tls: TLSCertificates?
        switch (settings.tlsCertificate, settings.tlsPrivateKey) {
        case (nil, nil):
            tls = nil
        case (let certificate?, let key?):
            do {
                tls = try TLSCertificates(certificatePath: certificate, privateKeyPath: key)
            } catch {
                logger.critical("cannot load the TLS certificate", metadata: ["error": "\(error)"])
                return 2
            }
        default:
            logger.critical("tls_certificate and tls_private_key must be set together (one of them is missing)")
            return 2
        }
        let app = try await ServerApplication.api(runtime: runtime, autoInit: config[\.autoInit], reloader: reloader, tls: tls,
                                                  knowledgeBasePath: dbPath)
        let grace = config[\.shutdownGraceSeconds]
        let drainDelay = config[\.drainDelaySeconds]
        var services: [ServiceGroupConfiguration.ServiceConfiguration] = [
            .init(service: app), .init(service: DrainService(runtime: runtime, delay: drainDelay))]
        if tls != nil, settings.httpRedirectPort > 0 {
            services.append(.init(service: ServerApplication.httpsRedirect(host: settings.host, port: settings.httpRedirectPort,
                                                                           httpsPort: settings.port, logger: logger)))
        }
        var groupConfig = ServiceGroupConfiguration(services: services, logger: logger)
        groupConfig.maximumGracefulShutdownDuration = grace + drainDelay
        groupConfig.maximumCancellationDuration = .seconds(5)
        let group = ServiceGroup(configuration: groupConfig)
        logger.notice("tonehost starting", metadata: ["address": "\(settings.host):\(settings.port)", "db": "\(dbPath)",
                                                      "session_store": "\(sessions.label)",
                                                      "manifests": "\(DaemonSetup.manifestDirectory(config))",
                                                      "config": "\(config.file ?? "none")", "tls": "\(tls != nil)"])

        let startupFailed = StartupFlag()
        let loading = Task { [config, logger] in
            do {
                let loader = try DaemonSetup.loader(config, logger: logger)
                let report = try await PluginThreadPool.shared.run { loader.load() }
                let generation = try PluginGeneration(report: report, number: 1)
                if config[\.autoInit] {
                    let outcome = await runtime.retrieverState.initialize(generation.retriever, logger: logger)
                    guard outcome.ready else { throw ConfigError("auto_init: the retriever \(generation.retriever.name) could not be initialised: \(outcome.message)") }
                }
                runtime.install(generation)
                SystemdNotify.send("READY=1")
                logger.notice("ready", metadata: ["generation": "1", "tones": "\(generation.toneCategories.joined(separator: ","))",
                                                 "describer": "\(generation.describer?.name ?? "none")", "llm": "\(generation.llm.name)"])
            } catch {
                logger.critical("start-up failed: \(error)")
                startupFailed.set()
                await group.triggerGracefulShutdown()
            }
        }
        let signals = Task { await handleSignals(group: group, reloader: reloader, runtime: runtime, tls: tls) }
        do {
            try await group.run()
        } catch {
            logger.warning("shutdown did not finish cleanly", metadata: ["error": "\(error)"])
        }
        signals.cancel()
        loading.cancel()
        withExtendedLifetime(dbLock) {}
        if startupFailed.value { return 2 }
        logger.notice("stopped")
        return 0
    }

    private func handleSignals(group: ServiceGroup, reloader: Reloader, runtime: HostRuntime, tls: TLSCertificates?) async {
        var stopping = false
        for await signal in await UnixSignalsSequence(trapping: .sigterm, .sigint, .sighup) {
            if signal == .sighup {
                Task {
                    // The certificate first: it needs no plugins, and renewals are what SIGHUP is sent for.
                    if let tls {
                        do {
                            try tls.reload()
                            logger.notice("TLS certificate reloaded", metadata: ["certificate": "\(tls.certificatePath)"])
                        } catch {
                            logger.error("TLS certificate reload failed; the running certificate stays", metadata: ["error": "\(error)"])
                        }
                    }
                    guard runtime.generation != nil else {
                        logger.warning("SIGHUP ignored: still starting")
                        return
                    }
                    SystemdNotify.send("RELOADING=1")
                    _ = await reloader.reload(trigger: "SIGHUP")
                    SystemdNotify.send("READY=1")
                }
            } else if stopping {
                logger.warning("second \(signal): exiting now, in-flight requests are cut")
                exit(signal == .sigint ? 130 : 143)
            } else {
                stopping = true
                logger.notice("\(signal): shutting down gracefully (send it again to exit at once)")
                SystemdNotify.send("STOPPING=1")
                await group.triggerGracefulShutdown()
            }
        }
    }

    final class StartupFlag: Sendable {
        private let failed = Locked(false)
        func set() { failed.mutate { $0 = true } }
        var value: Bool { failed.value }
    }
}
