import Foundation
import TonehostTypes

/// Where conversation history lives. Two stores implement it: `SessionStore` (SQLite, the
/// default: one host, or several on one volume) and `PostgresSessionStore` (one database shared
/// by any number of hosts behind a load balancer).
///
/// Every call has a deadline: past it the call throws, and the caller answers without history
/// (or does not store the turn). Thread-safe; callable from any task.
public protocol SessionHistoryStore: AnyObject, Sendable {
    /// Names the store for logs and `/readyz` (`sqlite /var/lib/tonehost/tonehost.db`,
    /// `postgres 10.0.0.5:5432/tonehost`); never contains a credential.
    var label: String { get }
    /// Whether several hosts share this store (then a host does not take itself out of a load
    /// balancer's rotation when the store fails: every host would, for a history outage).
    var isShared: Bool { get }

    /// The last `limit` messages of a session, oldest first (all when limit is nil).
    func history(_ sessionID: String, limit: Int?, deadline: ContinuousClock.Instant) async throws -> [ChatMessage]
    /// Appends messages (one turn) atomically.
    func append(_ sessionID: String, _ messages: [ChatMessage], deadline: ContinuousClock.Instant) async throws
    /// Deletes a session's history; returns how many messages were removed.
    func clear(_ sessionID: String, deadline: ContinuousClock.Instant) async throws -> Int
    /// A cheap check that the store answers.
    func probe(deadline: ContinuousClock.Instant) async throws
}

/// Per-session state besides history that several hosts must agree on: rate-limit buckets and
/// the visitor-description cache. A shared store (PostgreSQL) implements it; with SQLite each
/// host keeps both in memory.
public protocol SharedSessionState: AnyObject, Sendable {
    /// Takes one token from `key`'s bucket (`perMinute` a minute, bursts up to as many);
    /// nil when allowed, else the seconds until a token is available.
    func takeToken(_ key: String, perMinute: Int, deadline: ContinuousClock.Instant) async throws -> Double?
    /// A session's cached description if stored within `maxAge`.
    func cachedDescription(_ sessionID: String, maxAge: Duration, deadline: ContinuousClock.Instant) async throws -> String?
    func storeDescription(_ sessionID: String, _ description: String, deadline: ContinuousClock.Instant) async throws
    func forgetDescription(_ sessionID: String, deadline: ContinuousClock.Instant) async throws
}
