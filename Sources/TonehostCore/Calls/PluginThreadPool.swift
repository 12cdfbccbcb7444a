import TonehostTypes
import Foundation

/// Threads the host owns for plugin calls, which may block (I/O, sleeps, long queries) and
/// so must never run on Swift concurrency's cooperative pool (one thread per core).
///
/// Elastic, like an overcommitting work queue: up to `coreThreads` threads start at once for
/// queued jobs; beyond that a new thread starts only when a job has waited `starvationDelay`
/// (its predecessors are blocked, not merely busy), up to `maxThreads`. So a burst of quick
/// calls runs on a few threads, while a hundred calls that block each get a thread within
/// milliseconds. Threads idle for `idleTimeout` exit. Thread-safe.
public final class PluginThreadPool: @unchecked Sendable {
    /// For calls that may block.
    public static let shared = PluginThreadPool(maxThreads: 512)
    /// For calls of TONEHOST_FLAG_NONBLOCKING plugins: a fixed set of threads, never more.
    public static let compute: PluginThreadPool = {
        let n = max(4, 2 * ProcessInfo.processInfo.activeProcessorCount)
        return PluginThreadPool(maxThreads: n, coreThreads: n)
    }()

    private struct Job {
        var run: () -> Void
        var enqueued: UInt64
    }

    private let condition = NSCondition()
    private var jobs: [Job] = []
    private var head = 0
    private var idle = 0
    private var threads = 0
    private var peak = 0
    private var starvationCheckPending = false
    public let maxThreads: Int
    public let coreThreads: Int
    public let idleTimeout: TimeInterval
    public let starvationDelay: Duration

    public init(maxThreads: Int, coreThreads: Int = max(4, 2 * ProcessInfo.processInfo.activeProcessorCount),
                idleTimeout: TimeInterval = 15, starvationDelay: Duration = .milliseconds(50)) {
        self.maxThreads = max(1, maxThreads)
        self.coreThreads = min(max(1, coreThreads), self.maxThreads)
        self.idleTimeout = idleTimeout
        self.starvationDelay = starvationDelay
    }

    /// Threads alive now, and the most there have been.
    public var threadCount: (current: Int, peak: Int) {
        condition.lock()
        defer { condition.unlock() }
        return (threads, peak)
    }

    public func submit(_ job: @escaping () -> Void) {
        condition.lock()
        jobs.append(Job(run: job, enqueued: DispatchTime.now().uptimeNanoseconds))
        let queued = jobs.count - head
        if queued > idle && threads < coreThreads {
            spawnLocked(1)
        } else {
            condition.signal()
            if queued > idle { scheduleStarvationCheckLocked() }
        }
        condition.unlock()
    }

    /// Runs `body` on a pool thread and returns its result to the awaiting task.
    public func run<T>(_ body: @escaping () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            submit { continuation.resume(with: Result { try body() }) }
        }
    }

    private func spawnLocked(_ count: Int) {
        for _ in 0..<count where threads < maxThreads {
            threads += 1
            peak = max(peak, threads)
            HostThread.start("tonehost-plugin", stackSize: 1 << 20) { [self] in workerLoop() }
        }
    }

    private func scheduleStarvationCheckLocked() {
        guard !starvationCheckPending, threads < maxThreads else { return }
        starvationCheckPending = true
        let ns = UInt64(starvationDelay.components.attoseconds / 1_000_000_000) + UInt64(starvationDelay.components.seconds) * 1_000_000_000
        DispatchQueue.global().asyncAfter(deadline: .now() + .nanoseconds(Int(ns))) { [self] in checkStarvation(delay: ns) }
    }

    /// Jobs still waiting after `starvationDelay` mean every thread is blocked: add threads.
    private func checkStarvation(delay: UInt64) {
        condition.lock()
        defer { condition.unlock() }
        starvationCheckPending = false
        let queued = jobs.count - head
        guard queued > idle else { return }
        let now = DispatchTime.now().uptimeNanoseconds
        if now - jobs[head].enqueued >= delay {
            spawnLocked(queued - idle)
        }
        if jobs.count - head > idle { scheduleStarvationCheckLocked() }
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
            var job: (() -> Void)? = jobs[head].run
            jobs[head].run = Self.done  // the queue lets go of the job; `job` still holds it
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
