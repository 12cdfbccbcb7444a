import Foundation
import Hummingbird

/// API keys and per-client rate limits for the API (`/api/*`). It is attached to the `api`
/// route group, not matched against the raw path: it runs for every request the router serves
/// from that group, however the path was spelled (`//api/…`, `/api/…/`, `/./api/…`).
/// Probes and metrics stay open; `/admin/*` has `AdminAccessMiddleware`.
struct AccessControlMiddleware: RouterMiddleware {
    typealias Context = TonehostRequestContext
    let runtime: HostRuntime
    let limiter: RateLimiter

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let settings = runtime.settings
        if settings.requireAPIKey && !settings.apiKeys.isEmpty {
            guard BearerToken.matches(request, keys: settings.apiKeys) else {
                throw APIError(.unauthorized, "this API needs 'Authorization: Bearer <api key>'")
            }
        }
        let client = context.clientAddress
        if let wait = limiter.take("ip:" + client, perMinute: settings.rateLimitPerIP) {
            throw AccessControlMiddleware.tooMany("client \(client)", wait: wait)
        }
        return try await next(request, context)
    }

    /// 429 with `Retry-After` (whole seconds, at least 1).
    static func tooMany(_ who: String, wait: Double) -> APIError {
        APIError(.tooManyRequests, "rate limit exceeded for \(who); retry in \(Int(wait.rounded(.up))) s",
                 headers: [.retryAfter: "\(max(1, Int(wait.rounded(.up))))"])
    }
}

/// `/admin/*` (attached to the `admin` route group): with API keys configured it needs one of
/// them; with none, it answers loopback clients only (an operator on the machine itself).
struct AdminAccessMiddleware: RouterMiddleware {
    typealias Context = TonehostRequestContext
    let runtime: HostRuntime

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let keys = runtime.settings.apiKeys
        if keys.isEmpty {
            guard Self.isLoopback(context.clientAddress) else {
                throw APIError(.forbidden, "admin endpoints answer only loopback clients when no api_keys are configured")
            }
        } else if !BearerToken.matches(request, keys: keys) {
            throw APIError(.unauthorized, "admin endpoints need 'Authorization: Bearer <api key>'")
        }
        return try await next(request, context)
    }

    static func isLoopback(_ address: String) -> Bool {
        address.hasPrefix("127.") || address == "::1" || address.hasPrefix("::ffff:127.")
    }
}

/// `Authorization: Bearer <token>` checked against the configured keys in constant time.
enum BearerToken {
    static func matches(_ request: Request, keys: [String]) -> Bool {
        let header = request.headers[.authorization] ?? ""
        guard header.hasPrefix("Bearer ") else { return false }
        let token = header.dropFirst(7).trimmingCharacters(in: .whitespaces)
        return !token.isEmpty && keys.contains { constantTimeEqual($0, token) }
    }

    static func constantTimeEqual(_ a: String, _ b: String) -> Bool {
        let x = Array(a.utf8), y = Array(b.utf8)
        guard x.count == y.count else { return false }
        return zip(x, y).reduce(0) { $0 | ($1.0 ^ $1.1) } == 0
    }
}
