import Foundation

/// Threads the host owns for plugin calls, which may block (I/O, sleeps, long queries) and
/// so must never run on Swift concurrency's cooperative pool (one thread per core).
///
/// Elastic: a job starts at once on an idle thread or a new one, up to `maxThreads`; beyond
/// that jobs queue. Threads idle for `idleTimeout` exit, so a burst does not leave a
/// hundred threads behind. Thread-safe.
public final class PluginThreadPool: @unchecked Sendable {
    public static let shared = PluginThreadPool(maxThreads: 512)

    private let condition = NSCondition()
    private var jobs: [() -> Void] = []
    private var head = 0
    private var idle = 0
    private var threads = 0
    private var peak = 0
    public let maxThreads: Int
    public let idleTimeout: TimeInterval

    public init(maxThreads: Int, idleTimeout: TimeInterval = 15) {
        self.maxThreads = max(1, maxThreads)
        self.idleTimeout = idleTimeout
    }

    /// Threads alive now, and the most there have been.
    public var threadCount: (current: Int, peak: Int) {
        condition.lock()
        defer { condition.unlock() }
        return (threads, peak)
    }

    public func submit(_ job: @escaping () -> Void) {
        condition.lock()
        jobs.append(job)
        let queued = jobs.count - head
        if queued > idle && threads < maxThreads {
            threads += 1
            peak = max(peak, threads)
            condition.unlock()
            let thread = Thread { [self] in workerLoop() }
            thread.stackSize = 1 << 20
            thread.name = "tonehost-plugin"
            thread.start()
        } else {
            condition.signal()
            condition.unlock()
        }
    }

    /// Runs `body` on a pool thread and returns its result to the awaiting task.
    public func run<T>(_ body: @escaping () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            submit { continuation.resume(with: Result { try body() }) }
        }
    }

    private static let done: () -> Void = {}

    private func workerLoop() {
        condition.lock()
        while true {
            while head == jobs.count {
                idle += 1
                let signalled = condition.wait(until: Date(timeIntervalSinceNow: idleTimeout))
                idle -= 1
                if !signalled && head == jobs.count {
                    threads -= 1
                    condition.unlock()
                    return
                }
            }
            var job: (() -> Void)? = jobs[head]
            jobs[head] = Self.done  // the queue lets go of the job; `job` still holds it
            head += 1
            if head > 64 && head * 2 > jobs.count {
                jobs.removeFirst(head)
                head = 0
            }
            condition.unlock()
            job?()
            // Released outside the lock: dropping a job may deinit what it captured (a plugin
            // instance whose deinit submits its destroy call here).
            job = nil
            condition.lock()
        }
    }
}
