import Foundation
import Logging
import SessionStore
import TonehostCore

/// A rate limit that holds across every host when the hosts share a store (PostgreSQL): the
/// bucket is a row there. The shared store gets `sharedLimitWait` per request; when it fails or
/// is slow the host falls back to its own bucket for that key (logged and counted), so a
/// database outage loosens the limit to per-host instead of refusing or stalling requests.
struct ClusterRateLimit: Sendable {
    static let sharedLimitWait: Duration = .milliseconds(300)

    let local: RateLimiter
    let shared: (any SharedSessionState)?

    /// nil when allowed, else the seconds until a request is.
    func take(_ key: String, perMinute: Int, logger: Logger) async -> Double? {
        guard perMinute > 0 else { return nil }
        guard let shared else { return local.take(key, perMinute: perMinute) }
        do {
            return try await shared.takeToken(key, perMinute: perMinute, deadline: .now + Self.sharedLimitWait)
        } catch {
            TonehostMetrics.shared.sharedStateFailures.increment()
            logger.warning("shared rate limit unavailable; limiting on this host only", metadata: ["key": "\(key)", "error": "\(error)"])
            return local.take(key, perMinute: perMinute)
        }
    }
}

extension SharedDescriptions {
    /// The description cache over a shared store; each call waits at most `wait`, a failure
    /// is a miss (logged and counted).
    static let wait: Duration = .milliseconds(300)

    init(_ store: any SharedSessionState, logger: Logger) {
        self.init(
            get: { session, ttl in
                do {
                    return try await store.cachedDescription(session, maxAge: ttl, deadline: .now + SharedDescriptions.wait)
                } catch {
                    TonehostMetrics.shared.sharedStateFailures.increment()
                    logger.warning("shared description cache unavailable; asking the describer", metadata: ["error": "\(error)"])
                    return nil
                }
            },
            put: { session, description in
                do {
                    try await store.storeDescription(session, description, deadline: .now + SharedDescriptions.wait)
                } catch {
                    TonehostMetrics.shared.sharedStateFailures.increment()
                    logger.warning("could not share the visitor description", metadata: ["error": "\(error)"])
                }
            },
            forget: { session in
                do {
                    try await store.forgetDescription(session, deadline: .now + .seconds(2))
                } catch {
                    TonehostMetrics.shared.sharedStateFailures.increment()
                    logger.error("could not forget the shared visitor description", metadata: ["session": "\(session)", "error": "\(error)"])
                }
            })
    }
}
