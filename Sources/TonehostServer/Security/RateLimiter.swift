import Foundation
import TonehostTypes

/// Token buckets by key (client address, session id): `perMinute` requests a minute, with
/// bursts up to the same number. Idle buckets are forgotten. Thread-safe.
final class RateLimiter: @unchecked Sendable {
    private struct Bucket {
        var tokens: Double
        var updated: UInt64
    }

    private struct State {
        var buckets: [String: Bucket] = [:]
        var lastSweep: UInt64 = 0

        /// Drops buckets that have refilled completely (they hold no state worth keeping).
        mutating func sweep(now: UInt64, capacity: Double, rate: Double) {
            guard now - lastSweep > 60_000_000_000 else { return }
            lastSweep = now
            buckets = buckets.filter { $0.value.tokens + Double(now - $0.value.updated) / 1e9 * rate < capacity }
        }
    }

    private let state = Locked(State())

    /// Takes one token for `key`; nil when allowed, else the seconds until one is available.
    func take(_ key: String, perMinute: Int) -> Double? {
        guard perMinute > 0 else { return nil }
        let now = DispatchTime.now().uptimeNanoseconds
        let rate = Double(perMinute) / 60  // tokens per second
        return state.mutate { s -> Double? in
            s.sweep(now: now, capacity: Double(perMinute), rate: rate)
            var b = s.buckets[key] ?? Bucket(tokens: Double(perMinute), updated: now)
            b.tokens = min(Double(perMinute), b.tokens + Double(now - b.updated) / 1e9 * rate)
            b.updated = now
            defer { s.buckets[key] = b }
            if b.tokens >= 1 {
                b.tokens -= 1
                return nil
            }
            return (1 - b.tokens) / rate
        }
    }
}
