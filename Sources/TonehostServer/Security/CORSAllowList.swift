import Hummingbird

/// Cross-origin requests against an allow-list (browser-based kiosk avatars call the API from
/// their own origin). `["*"]` allows every origin; an empty list allows none.
///
/// A request whose `Origin` is neither allowed nor the host's own (same-origin: the origin's
/// host and port are the request's `Host`) is refused with 403 on **every** method, not only at
/// preflight: a "simple" cross-site POST (`Content-Type: text/plain`) needs no preflight and
/// would otherwise act (clear a session) even though the browser hides the answer. Requests
/// without `Origin` (curl, server-side clients) are not affected. Preflight (OPTIONS with
/// Access-Control-Request-Method) is answered here with 204.
struct CORSAllowListMiddleware: RouterMiddleware {
    typealias Context = TonehostRequestContext
    let runtime: HostRuntime

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard let origin = request.headers[.origin] else { return try await next(request, context) }
        let allowed = runtime.settings.corsOrigins
        let listed = allowed.contains("*") || allowed.contains(origin)
        guard listed || Self.isSameOrigin(origin, host: request.head.authority) else {
            // Outside ErrorResponseMiddleware: answered here, so the request id is still added.
            return try APIError(.forbidden, "origin \(origin) is not allowed (cors_origins)").response(from: request, context: context)
        }
        if request.method == .options, request.headers[.accessControlRequestMethod] != nil {
            var headers = corsHeaders(origin: origin, allowAll: allowed.contains("*"))
            headers[.accessControlAllowMethods] = "GET, POST, DELETE, OPTIONS"
            headers[.accessControlAllowHeaders] = request.headers[.accessControlRequestHeaders] ?? "Content-Type, Authorization"
            headers[.accessControlMaxAge] = "600"
            return Response(status: .noContent, headers: headers)
        }
        var response = try await next(request, context)
        if listed {
            for field in corsHeaders(origin: origin, allowAll: allowed.contains("*")) { response.headers[field.name] = field.value }
        }
        return response
    }

    /// `http://host:port` (or https) naming the same authority as the `Host` header.
    static func isSameOrigin(_ origin: String, host: String?) -> Bool {
        guard let host, !host.isEmpty else { return false }
        for scheme in ["http://", "https://"] where origin.hasPrefix(scheme) {
            return origin.dropFirst(scheme.count).lowercased() == host.lowercased()
        }
        return false
    }

    private func corsHeaders(origin: String, allowAll: Bool) -> HTTPFields {
        var headers = HTTPFields()
        headers[.accessControlAllowOrigin] = allowAll ? "*" : origin
        headers[.accessControlExposeHeaders] = "X-Tone, X-Request-ID, X-History"
        if !allowAll { headers[.vary] = "Origin" }
        return headers
    }
}
