import Hummingbird
import Logging
import TonehostCore

/// Builds the HTTP applications: the main API and the description server.
public enum ServerApplication {
    /// The main API (default port 5002): the original contract plus probes, metrics and admin.
    /// The knowledge base is opened first when `autoInit`; plugins may still be loading when
    /// it starts serving (`/readyz` says when they are).
    public static func api(runtime: HostRuntime, knowledgeBasePath: String, autoInit: Bool,
                           reloader: Reloader? = nil) async throws -> some ApplicationProtocol {
        TonehostRequestContext.bodyLimit.value = runtime.settings.maxBodyBytes
        let kb = KnowledgeBaseStatus(path: knowledgeBasePath)
        if autoInit {
            let count = try await runtime.blocking { try kb.initialize() }
            runtime.logger.info("knowledge base initialised", metadata: ["passages": "\(count)", "path": "\(knowledgeBasePath)"])
        }
        _ = TonehostMetrics.shared  // bootstraps swift-metrics before the middleware makes its first metric
        let router = Router(context: TonehostRequestContext.self)
        router.add(middleware: RequestIDMiddleware())
        router.add(middleware: MetricsMiddleware())
        router.add(middleware: CORSAllowListMiddleware(runtime: runtime))  // outside: errors get CORS headers too
        router.add(middleware: JSONErrorMiddleware())
        router.add(middleware: AccessControlMiddleware(runtime: runtime, limiter: RateLimiter()))
        RAGRoutes(runtime: runtime, knowledgeBase: kb, sessionLimiter: RateLimiter()).register(on: router)
        SessionRoutes(runtime: runtime).register(on: router)
        OperationsRoutes(runtime: runtime, reloader: reloader).register(on: router)
        let settings = runtime.settings
        return Application(router: router,
                           configuration: .init(address: .hostname(settings.host, port: settings.port), serverName: "tonehost"),
                           logger: runtime.logger)
    }

    /// The description service (default port 5003) in front of a describer plugin.
    public static func describer(_ describer: PluginInstance, deadline: Duration, host: String, port: Int,
                                 logger: Logger) -> some ApplicationProtocol {
        let router = Router(context: TonehostRequestContext.self)
        router.add(middleware: JSONErrorMiddleware())
        DescriptionRoutes(describer: describer, deadline: deadline).register(on: router)
        return Application(router: router, configuration: .init(address: .hostname(host, port: port), serverName: "tonehost-describe"),
                           logger: logger)
    }
}
