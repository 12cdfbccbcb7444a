import Foundation
import Hummingbird

/// API keys and per-client rate limits for the API (`/api/*`). Probes and metrics stay open;
/// `/admin/*` checks its keys itself.
struct AccessControlMiddleware: RouterMiddleware {
    typealias Context = TonehostRequestContext
    let runtime: HostRuntime
    let limiter: RateLimiter

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard request.uri.path.hasPrefix("/api/"), request.method != .options else { return try await next(request, context) }
        let settings = runtime.settings
        if settings.requireAPIKey && !settings.apiKeys.isEmpty {
            let header = request.headers[.authorization] ?? ""
            let token = header.hasPrefix("Bearer ") ? String(header.dropFirst(7)).trimmingCharacters(in: .whitespaces) : ""
            guard !token.isEmpty, settings.apiKeys.contains(where: { AccessControlMiddleware.constantTimeEqual($0, token) }) else {
                throw APIError(.unauthorized, "this API needs 'Authorization: Bearer <api key>'")
            }
        }
        let client = context.clientAddress
        if let wait = limiter.take("ip:" + client, perMinute: settings.rateLimitPerIP) {
            return AccessControlMiddleware.tooMany("client \(client)", wait: wait)
        }
        return try await next(request, context)
    }

    static func tooMany(_ who: String, wait: Double) -> Response {
        var response = jsonError(.tooManyRequests, "rate limit exceeded for \(who); retry in \(Int(wait.rounded(.up))) s")
        response.headers[.retryAfter] = "\(max(1, Int(wait.rounded(.up))))"
        return response
    }

    static func constantTimeEqual(_ a: String, _ b: String) -> Bool {
        let x = Array(a.utf8), y = Array(b.utf8)
        guard x.count == y.count else { return false }
        return zip(x, y).reduce(0) { $0 | ($1.0 ^ $1.1) } == 0
    }
}
