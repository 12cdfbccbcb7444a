import Foundation

/// Session-based description cache (MISSION §7): the visitor at a kiosk session does not change
/// between questions, so a description the describer gave is reused for `ttl` instead of asking
/// the VLM again. Owned by the host runtime and handed to every pipeline it builds (a reload
/// keeps it). Thread-safe.
public final class DescriptionCache: @unchecked Sendable {
    private struct Entry {
        var description: String
        var stored: ContinuousClock.Instant
    }

    private let entries = Locked<[String: Entry]>([:])
    private let capacity: Int

    public init(capacity: Int = 10_000) { self.capacity = capacity }

    func get(_ session: String, ttl: Duration) -> String? {
        entries.mutate { entries in
            guard let e = entries[session] else { return nil }
            if ContinuousClock.now - e.stored > ttl {
                entries[session] = nil
                return nil
            }
            return e.description
        }
    }

    func put(_ session: String, _ description: String) {
        let capacity = self.capacity
        entries.mutate { entries in
            if entries.count >= capacity, entries[session] == nil {
                // Full: drop the oldest tenth rather than one at a time.
                let oldest = entries.sorted { $0.value.stored < $1.value.stored }.prefix(max(1, capacity / 10)).map(\.key)
                for key in oldest { entries[key] = nil }
            }
            entries[session] = Entry(description: description, stored: .now)
        }
    }

    /// Forgets a session (its visitor left: `close`).
    public func forget(_ session: String) {
        entries.mutate { $0[session] = nil }
    }
}
