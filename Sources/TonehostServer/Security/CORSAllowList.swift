import Hummingbird

/// CORS with an allow-list (browser-based kiosk avatars call the API from their own origin).
/// `["*"]` allows every origin; an empty list sends no CORS headers at all. Preflight
/// (OPTIONS with Access-Control-Request-Method) is answered here with 204.
struct CORSAllowListMiddleware: RouterMiddleware {
    typealias Context = TonehostRequestContext
    let runtime: HostRuntime

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let allowed = runtime.settings.corsOrigins
        guard !allowed.isEmpty, let origin = request.headers[.origin] else { return try await next(request, context) }
        let permitted = allowed.contains("*") || allowed.contains(origin)
        if request.method == .options, request.headers[.accessControlRequestMethod] != nil {
            guard permitted else { return jsonError(.forbidden, "origin \(origin) is not allowed") }
            var headers = corsHeaders(origin: origin, allowAll: allowed.contains("*"))
            headers[.accessControlAllowMethods] = "GET, POST, DELETE, OPTIONS"
            headers[.accessControlAllowHeaders] = request.headers[.accessControlRequestHeaders] ?? "Content-Type, Authorization"
            headers[.accessControlMaxAge] = "600"
            return Response(status: .noContent, headers: headers)
        }
        var response = try await next(request, context)
        if permitted {
            for field in corsHeaders(origin: origin, allowAll: allowed.contains("*")) { response.headers[field.name] = field.value }
        }
        return response
    }

    private func corsHeaders(origin: String, allowAll: Bool) -> HTTPFields {
        var headers = HTTPFields()
        headers[.accessControlAllowOrigin] = allowAll ? "*" : origin
        headers[.accessControlExposeHeaders] = "X-Tone, X-Request-ID"
        if !allowAll { headers[.vary] = "Origin" }
        return headers
    }
}
