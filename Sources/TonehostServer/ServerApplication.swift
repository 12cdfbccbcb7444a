import Hummingbird
import HummingbirdCore
import HummingbirdTLS
import Logging
import TonehostCore

/// Builds the HTTP applications: the main API and the description server.
public enum ServerApplication {
    /// The main API (default port 5002): the original contract plus probes, metrics and admin.
    /// Plugins may still be loading when it starts serving (`/readyz` says when they are); with
    /// `autoInit` the retriever is initialised once they are, before the host becomes ready.
    /// With `tls`, the listener speaks HTTPS only, with the certificate `tls` holds now.
    /// `knowledgeBasePath`: the SQLite store whose generation `/readyz` and `/metrics` show.
    public static func api(runtime: HostRuntime, autoInit: Bool, reloader: Reloader? = nil,
                           tls: TLSCertificates? = nil, knowledgeBasePath: String? = nil) async throws -> some ApplicationProtocol {
        if autoInit { runtime.retrieverState.expectAutoInit() }
        _ = TonehostMetrics.shared  // bootstraps swift-metrics before the middleware makes its first metric
        let router = Router(context: TonehostRequestContext.self, options: .autoGenerateHeadEndpoints)
        router.add(middleware: BodyLimitMiddleware(runtime: runtime))
        router.add(middleware: RequestIDMiddleware())
        if runtime.settings.traceLog { router.add(middleware: TracingMiddleware()) }  // the request's span; stages are its children
        router.add(middleware: AccessLogMiddleware(runtime: runtime))
        router.add(middleware: MetricsMiddleware())
        router.add(middleware: CORSAllowListMiddleware(runtime: runtime))  // outside: errors get CORS headers too
        router.add(middleware: ErrorResponseMiddleware())
        // Access policy belongs to route groups, so it applies to whatever route the router
        // resolves a request to — `//api/…`, `/api/…/` included — never to one spelling of the path.
        // One limiter per kind for both APIs: a client's or a session's questions count alike on either.
        // The per-session limit holds cluster-wide when the session store is shared (PostgreSQL).
        let ipLimiter = RateLimiter(), sessionLimiter = ClusterRateLimit(local: RateLimiter(), shared: runtime.shared)
        let api = router.group("api").add(middleware: AccessControlMiddleware(runtime: runtime, limiter: ipLimiter))
        let ragAPI = api.group("rag-llm")
        RAGRoutes(runtime: runtime, sessionLimiter: sessionLimiter).register(on: ragAPI, root: router)
        // The OpenAI-compatible façade: errors in OpenAI's shape, the same access policy.
        let v1 = router.group("v1").add(middleware: OpenAIErrorMiddleware())
            .add(middleware: AccessControlMiddleware(runtime: runtime, limiter: ipLimiter))
        OpenAIRoutes(runtime: runtime, sessionLimiter: sessionLimiter).register(on: v1)
        SessionRoutes(runtime: runtime).register(on: ragAPI)
        let files = StaticFiles(webRoot: runtime.settings.webRoot)
        for problem in files.problems { runtime.logger.warning("static file missing", metadata: ["problem": "\(problem)"]) }
        KioskRoutes(files: files).register(on: router)
        let admin = router.group("admin").add(middleware: AdminAccessMiddleware(runtime: runtime))
        OperationsRoutes(runtime: runtime, reloader: reloader, knowledgeBase: knowledgeBasePath.map { KnowledgeBaseGeneration(path: $0) })
            .register(on: router, admin: admin)
        let settings = runtime.settings
        var server = HTTPServerBuilder.http1(guarded: settings, logger: runtime.logger)
        if let tls { server = try .tls(server, tlsConfiguration: try tls.serverConfiguration()) }
        return Application(router: router, server: server,
                           configuration: .init(address: .hostname(settings.host, port: settings.port), serverName: "tonehost",
                                                availableConnectionsDelegate: settings.maxConnections > 0
                                                    ? MaximumAvailableConnections(settings.maxConnections, logger: runtime.logger) : nil),
                           logger: runtime.logger)
    }

    /// The plain-HTTP listener of a TLS host (`http_redirect_port`): every request is answered
    /// 308 with the same host, path and query over HTTPS on `httpsPort`.
    public static func httpsRedirect(host: String, port: Int, httpsPort: Int, logger: Logger) -> some ApplicationProtocol {
        let router = Router(context: TonehostRequestContext.self)
        router.add(middleware: HTTPSRedirectMiddleware(httpsPort: httpsPort))
        let settings = ServerSettings()
        return Application(router: router, server: .http1(guarded: settings, logger: logger),
                           configuration: .init(address: .hostname(host, port: port), serverName: "tonehost-redirect",
                                                availableConnectionsDelegate: MaximumAvailableConnections(settings.maxConnections, logger: logger)),
                           logger: logger)
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

/// Answers 308 `Location: https://<host>:<httpsPort><path and query>` (the port left out for 443).
struct HTTPSRedirectMiddleware: RouterMiddleware {
    typealias Context = TonehostRequestContext
    let httpsPort: Int

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let authority = request.head.authority ?? "localhost"
        // `host`, `host:port`, `[v6]`, `[v6]:port` → the host part.
        let host: Substring
        if authority.hasPrefix("["), let close = authority.firstIndex(of: "]") {
            host = authority[...close]
        } else {
            host = authority.split(separator: ":", maxSplits: 1).first ?? "localhost"
        }
        let port = httpsPort == 443 ? "" : ":\(httpsPort)"
        return Response(status: .permanentRedirect, headers: [.location: "https://\(host)\(port)\(request.uri)", .contentLength: "0"])
    }
}
