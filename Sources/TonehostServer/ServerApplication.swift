import Hummingbird
import HummingbirdCore
import Logging
import TonehostCore

/// Builds the HTTP applications: the main API and the description server.
public enum ServerApplication {
    /// The main API (default port 5002): the original contract plus probes, metrics and admin.
    /// The knowledge base is opened first when `autoInit`; plugins may still be loading when
    /// it starts serving (`/readyz` says when they are).
    public static func api(runtime: HostRuntime, knowledgeBasePath: String, autoInit: Bool,
                           reloader: Reloader? = nil) async throws -> some ApplicationProtocol {
        let kb = KnowledgeBaseStatus(path: knowledgeBasePath)
        if autoInit {
            let count = try await runtime.blocking { try kb.initialize() }
            runtime.logger.info("knowledge base initialised", metadata: ["passages": "\(count)", "path": "\(knowledgeBasePath)"])
        }
        _ = TonehostMetrics.shared  // bootstraps swift-metrics before the middleware makes its first metric
        let router = Router(context: TonehostRequestContext.self, options: .autoGenerateHeadEndpoints)
        router.add(middleware: BodyLimitMiddleware(runtime: runtime))
        router.add(middleware: RequestIDMiddleware())
        router.add(middleware: MetricsMiddleware())
        router.add(middleware: CORSAllowListMiddleware(runtime: runtime))  // outside: errors get CORS headers too
        router.add(middleware: ErrorResponseMiddleware())
        // Access policy belongs to route groups, so it applies to whatever route the router
        // resolves a request to — `//api/…`, `/api/…/` included — never to one spelling of the path.
        let api = router.group("api").add(middleware: AccessControlMiddleware(runtime: runtime, limiter: RateLimiter()))
        let ragAPI = api.group("rag-llm")
        RAGRoutes(runtime: runtime, knowledgeBase: kb, sessionLimiter: ClusterRateLimit(local: RateLimiter(), shared: runtime.shared)).register(on: ragAPI, root: router)
        SessionRoutes(runtime: runtime).register(on: ragAPI)
        let admin = router.group("admin").add(middleware: AdminAccessMiddleware(runtime: runtime))
        OperationsRoutes(runtime: runtime, reloader: reloader, knowledgeBase: KnowledgeBaseGeneration(path: knowledgeBasePath))
            .register(on: router, admin: admin)
        let settings = runtime.settings
        return Application(router: router, server: .http1(guarded: settings, logger: runtime.logger),
                           configuration: .init(address: .hostname(settings.host, port: settings.port), serverName: "tonehost",
                                                availableConnectionsDelegate: settings.maxConnections > 0
                                                    ? MaximumAvailableConnections(settings.maxConnections, logger: runtime.logger) : nil),
                           logger: runtime.logger)
    }

    /// The description service (default port 5003) in front of a describer plugin.
    public static func describer(_ describer: PluginInstance, deadline: Duration, host: String, port: Int,
                                 logger: Logger) -> some ApplicationProtocol {
        let router = Router(context: TonehostRequestContext.self, options: .autoGenerateHeadEndpoints)
        router.add(middleware: ErrorResponseMiddleware())
        DescriptionRoutes(describer: describer, deadline: deadline).register(on: router)
        let settings = ServerSettings()  // the same slow-client defaults as the main API
        return Application(router: router, server: .http1(guarded: settings, logger: logger),
                           configuration: .init(address: .hostname(host, port: port), serverName: "tonehost-describe",
                                                availableConnectionsDelegate: MaximumAvailableConnections(settings.maxConnections, logger: logger)),
                           logger: logger)
    }
}
