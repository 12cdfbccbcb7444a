import Logging
import ServiceLifecycle

/// The first service to hear graceful shutdown (it is the last in the group): marks the
/// daemon not ready, so `/readyz` fails and load balancers stop sending, waits the drain
/// delay, then lets the HTTP server stop accepting and finish its in-flight streams.
public struct DrainService: Service {
    let runtime: HostRuntime
    let delay: Duration

    public init(runtime: HostRuntime, delay: Duration) {
        self.runtime = runtime
        self.delay = delay
    }

    public func run() async throws {
        try? await gracefulShutdown()
        runtime.readiness.markDraining()
        runtime.logger.notice("draining: not ready; in-flight requests finish", metadata: ["drain_delay": "\(delay)"])
        if delay > .zero { try? await Task.sleep(for: delay) }
    }
}
