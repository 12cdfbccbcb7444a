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

    /// Where descriptions live when several hosts share them (set once, before serving); nil:
    /// in this process only. With it set this process keeps no copy, so a `close` on any host
    /// is seen by every host at once.
    public var shared: SharedDescriptions? {
        get { sharedStore.value }
        set { sharedStore.mutate { $0 = newValue } }
    }
    private let sharedStore = Locked<SharedDescriptions?>(nil)

    /// The session's description if cached within `ttl` (shared store, else this process).
    func lookup(_ session: String, ttl: Duration) async -> String? {
        if let shared { return await shared.get(session, ttl) }
        return get(session, ttl: ttl)
    }

    /// Caches a description (the shared store's write does not hold up the answer).
    func store(_ session: String, _ description: String) {
        if let shared {
            Task { await shared.put(session, description) }
        } else {
            put(session, description)
        }
    }

    /// Forgets a session here and in the shared store.
    public func forgetEverywhere(_ session: String) async {
        forget(session)
        if let shared { await shared.forget(session) }
    }
}

/// A description cache several hosts share (the host's PostgreSQL store). Each call bounds its
/// own time and never throws: a store that fails is a cache miss.
public struct SharedDescriptions: Sendable {
    public var get: @Sendable (_ session: String, _ ttl: Duration) async -> String?
    public var put: @Sendable (_ session: String, _ description: String) async -> Void
    public var forget: @Sendable (_ session: String) async -> Void

    public init(get: @escaping @Sendable (String, Duration) async -> String?,
                put: @escaping @Sendable (String, String) async -> Void,
                forget: @escaping @Sendable (String) async -> Void) {
        self.get = get
        self.put = put
        self.forget = forget
    }
}
