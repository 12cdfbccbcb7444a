import Foundation
import TonehostTypes

/// Where the daemon is in its life: starting (plugins loading) → ready → draining (SIGTERM).
/// `/readyz` answers 200 only when ready.
public final class Readiness: @unchecked Sendable {
    public enum Phase: String, Sendable {
        case starting, ready, draining
    }

    private let current = Locked(Phase.starting)

    public var phase: Phase { current.value }

    public func markReady() {
        current.mutate { if $0 == .starting { $0 = .ready } }
    }

    public func markDraining() {
        current.mutate { $0 = .draining }
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
