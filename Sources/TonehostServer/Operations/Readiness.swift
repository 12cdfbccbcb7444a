import Foundation

/// Where the daemon is in its life: starting (plugins loading) → ready → draining (SIGTERM).
/// `/readyz` answers 200 only when ready.
public final class Readiness: @unchecked Sendable {
    public enum Phase: String, Sendable {
        case starting, ready, draining
    }

    private let lock = NSLock()
    private var current: Phase = .starting

    public var phase: Phase {
        lock.lock()
        defer { lock.unlock() }
        return current
    }

    public func markReady() {
        lock.lock()
        if current == .starting { current = .ready }
        lock.unlock()
    }

    public func markDraining() {
        lock.lock()
        current = .draining
        lock.unlock()
    }

    /// Returns once the phase leaves `starting`, or after `limit` (polling: start-up is rare
    /// and short, and this keeps no continuations to leak when a client leaves).
    func waitWhileStarting(upTo limit: Duration) async {
        let end = ContinuousClock.now + limit
        while phase == .starting, ContinuousClock.now < end, !Task.isCancelled {
            try? await Task.sleep(for: .milliseconds(50))
        }
    }
}
