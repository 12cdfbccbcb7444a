import TonehostTypes
import Foundation

/// Runs `action` once after `delay` unless cancelled first. Cancelling frees the timer at once —
/// unlike a cancelled `Task.sleep`, whose dispatch timer (and the task's memory) stays queued
/// until the original deadline: with a 300 s request timeout that is every request of the last
/// five minutes.
///
/// Every timer of the process is kept by one host-owned thread (`TimerQueue`), in a heap that
/// removes a cancelled timer at once: arming and cancelling cost a lock and a few comparisons,
/// not a dispatch source (each of those wakes libdispatch's manager thread to be armed and again
/// to be cancelled — two thread switches per request deadline, per plugin call, per store call).
/// `action` runs on a global dispatch queue, or with `inline` on the timer thread itself (only for
/// actions that cannot block: resuming a continuation).
public final class OneShotTimer: @unchecked Sendable {
    fileprivate let deadline: UInt64  // DispatchTime.uptimeNanoseconds
    fileprivate let action: @Sendable () -> Void
    fileprivate let inline: Bool
    fileprivate var index = -1  // in the queue's heap; -1: not queued (fired, cancelled)

    public convenience init(after delay: Duration, inline: Bool = false, _ action: @escaping @Sendable () -> Void) {
        let nanoseconds = max(0, delay / .nanoseconds(1))
        let now = DispatchTime.now().uptimeNanoseconds
        self.init(uptimeNanoseconds: now &+ UInt64(min(nanoseconds, Double(UInt64.max - now))), inline: inline, action)
    }

    /// Fires at `uptimeNanoseconds` (`DispatchTime.uptimeNanoseconds`).
    public init(uptimeNanoseconds: UInt64, inline: Bool = false, _ action: @escaping @Sendable () -> Void) {
        deadline = uptimeNanoseconds
        self.action = action
        self.inline = inline
        TimerQueue.shared.add(self)
    }

    /// Idempotent; a timer that already fired is left alone.
    public func cancel() { TimerQueue.shared.remove(self) }
}

/// The thread that fires every `OneShotTimer`: a binary min-heap on the deadline, each timer
/// knowing its place so that cancelling removes it in O(log n). The thread sleeps until the
/// earliest deadline and is woken only when a new timer becomes the earliest.
final class TimerQueue: @unchecked Sendable {
    static let shared = TimerQueue()

    private var mutex = pthread_mutex_t()
    private var condition = pthread_cond_t()
    private var heap: [OneShotTimer] = []
    private var started = false

    private init() {
        pthread_mutex_init(&mutex, nil)
        var attributes = pthread_condattr_t()
        pthread_condattr_init(&attributes)
        pthread_condattr_setclock(&attributes, CLOCK_MONOTONIC)  // the clock of DispatchTime.uptimeNanoseconds
        pthread_cond_init(&condition, &attributes)
        pthread_condattr_destroy(&attributes)
    }

    func add(_ timer: OneShotTimer) {
        pthread_mutex_lock(&mutex)
        if !started {
            started = true
            HostThread.start("tonehost-timers") { [self] in run() }
        }
        timer.index = heap.count
        heap.append(timer)
        siftUp(heap.count - 1)
        let earliest = timer.index == 0
        pthread_mutex_unlock(&mutex)
        if earliest { pthread_cond_signal(&condition) }
    }

    func remove(_ timer: OneShotTimer) {
        pthread_mutex_lock(&mutex)
        defer { pthread_mutex_unlock(&mutex) }
        let i = timer.index
        guard i >= 0, i < heap.count, heap[i] === timer else { return }
        timer.index = -1
        let last = heap.removeLast()
        guard i < heap.count else { return }
        heap[i] = last
        last.index = i
        siftUp(i)
        siftDown(last.index)
    }

    /// Timers waiting (for tests and the metrics of a leak).
    var count: Int {
        pthread_mutex_lock(&mutex)
        defer { pthread_mutex_unlock(&mutex) }
        return heap.count
    }

    private func run() {
        pthread_mutex_lock(&mutex)
        while true {
            guard let first = heap.first else {
                pthread_cond_wait(&condition, &mutex)
                continue
            }
            let now = DispatchTime.now().uptimeNanoseconds
            if first.deadline > now {
                var until = timespec(tv_sec: Int(first.deadline / 1_000_000_000), tv_nsec: Int(first.deadline % 1_000_000_000))
                pthread_cond_timedwait(&condition, &mutex, &until)
                continue
            }
            // Pop the earliest and fire it outside the lock.
            first.index = -1
            let last = heap.removeLast()
            if !heap.isEmpty {
                heap[0] = last
                last.index = 0
                siftDown(0)
            }
            pthread_mutex_unlock(&mutex)
            if first.inline { first.action() } else { DispatchQueue.global().async(execute: first.action) }
            pthread_mutex_lock(&mutex)
        }
    }

    private func siftUp(_ start: Int) {
        var i = start
        while i > 0 {
            let parent = (i - 1) / 2
            guard heap[i].deadline < heap[parent].deadline else { break }
            heap.swapAt(i, parent)
            heap[i].index = i
            heap[parent].index = parent
            i = parent
        }
    }

    private func siftDown(_ start: Int) {
        var i = start
        while true {
            let left = 2 * i + 1, right = left + 1
            var smallest = i
            if left < heap.count, heap[left].deadline < heap[smallest].deadline { smallest = left }
            if right < heap.count, heap[right].deadline < heap[smallest].deadline { smallest = right }
            guard smallest != i else { return }
            heap.swapAt(i, smallest)
            heap[i].index = i
            heap[smallest].index = smallest
            i = smallest
        }
    }
}
