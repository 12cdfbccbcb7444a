/// Where a task parked on a continuation is resumed when another thread (a plugin's pool
/// thread, the timer, curl's thread, the history writer) resumes it.
///
/// With `executor = event-loops` a task runs on the event loop of its connection, and a task
/// resumed from one of the host's own threads would otherwise go to *any* loop: its socket
/// writes then hop back to the connection's loop and both loops wake for one answer. The
/// server installs, once at start-up, a function that captures the calling thread's loop;
/// `capture()` at the point of parking and `ResumeAffinity.resume(_:_:)` then send the
/// resumption back to the thread the task parked on. Without an installed function (the CLI,
/// the tests' in-process servers, `executor = dispatch`) nothing changes.
public enum ResumeAffinity {
    /// Runs a closure on the thread a task parked on (at once when already there).
    public typealias Hop = @Sendable (@escaping @Sendable () -> Void) -> Void
    /// Runs a closure on the calling thread's event loop after a delay in nanoseconds; returns
    /// what cancels it. The loop's own timer: no host timer thread wakes, no cross-thread
    /// hand-over when it fires.
    public typealias Delay = @Sendable (UInt64, @escaping @Sendable () -> Void) -> (@Sendable () -> Void)

    // Written once, before the server starts any task; read-only afterwards.
    nonisolated(unsafe) private static var finder: (@Sendable () -> Hop?)?
    nonisolated(unsafe) private static var delayFinder: (@Sendable () -> Delay?)?

    /// Installs the functions that capture the current thread's executor and its timer. Call
    /// once, before the server starts.
    public static func install(_ capture: @escaping @Sendable () -> Hop?, delay: (@Sendable () -> Delay?)? = nil) {
        finder = capture
        delayFinder = delay
    }

    /// The calling thread's way back, when it is one (an event loop).
    @inline(__always) public static func capture() -> Hop? { finder?() }

    /// The calling thread's timer, when it is an event loop.
    @inline(__always) public static func captureDelay() -> Delay? { delayFinder?() }

    /// Runs `resume` through `hop`, or right here without one.
    @inline(__always) public static func resume(_ hop: Hop?, _ resume: @escaping @Sendable () -> Void) {
        if let hop { hop(resume) } else { resume() }
    }
}
