import Foundation

/// Runs `action` once after `delay` unless cancelled first. Cancelling frees the timer at once —
/// unlike a cancelled `Task.sleep`, whose dispatch timer (and the task's memory) stays queued
/// until the original deadline: with a 300 s request timeout that is every request of the last
/// five minutes.
public final class OneShotTimer: @unchecked Sendable {
    private let source: DispatchSourceTimer

    public init(after delay: Duration, _ action: @escaping @Sendable () -> Void) {
        source = DispatchSource.makeTimerSource(queue: .global())
        let nanoseconds = max(0, delay / .nanoseconds(1))
        source.schedule(deadline: .now() + .nanoseconds(Int(min(nanoseconds, Double(Int.max)))))
        source.setEventHandler(handler: action)
        source.resume()
    }

    public func cancel() { source.cancel() }

    deinit { source.cancel() }
}
