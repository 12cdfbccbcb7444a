import Foundation

/// A counting semaphore for async callers: at most `count` holders at once, waiters served in
/// order, a wait that ends on cancellation or a deadline. Used for a manifest's
/// `max_concurrency`: calls beyond it wait here, without holding a thread.
final class AsyncSlots: @unchecked Sendable {
    private let lock = NSLock()
    private var available: Int
    private var waiters: [(id: UInt64, continuation: CheckedContinuation<Void, Error>)] = []
    private var nextID: UInt64 = 0

    init(_ count: Int) { available = max(1, count) }

    struct TimedOut: Error {}

    /// Waits for a slot until `deadline` (uptime nanoseconds; nil: no limit).
    func acquire(deadlineNanos: UInt64?) async throws {
        guard let id = takeOrTicket() else { return }
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, Error>) in
                lock.lock()
                if available > 0, waiters.isEmpty {
                    available -= 1
                    lock.unlock()
                    continuation.resume()
                    return
                }
                waiters.append((id, continuation))
                lock.unlock()
                if Task.isCancelled { abandon(id, CancellationError()) }  // cancelled before we queued
                if let deadlineNanos {
                    DispatchQueue.global().asyncAfter(deadline: DispatchTime(uptimeNanoseconds: deadlineNanos)) { [weak self] in
                        self?.abandon(id, TimedOut())
                    }
                }
            }
        } onCancel: {
            abandon(id, CancellationError())
        }
    }

    /// nil when a slot was free (and is now taken); else a ticket to wait with.
    private func takeOrTicket() -> UInt64? {
        lock.lock()
        defer { lock.unlock() }
        if available > 0, waiters.isEmpty {
            available -= 1
            return nil
        }
        nextID += 1
        return nextID
    }

    func release() {
        lock.lock()
        if waiters.isEmpty {
            available += 1
            lock.unlock()
            return
        }
        let next = waiters.removeFirst()
        lock.unlock()
        next.continuation.resume()
    }

    private func abandon(_ id: UInt64, _ error: Error) {
        lock.lock()
        guard let i = waiters.firstIndex(where: { $0.id == id }) else { lock.unlock(); return }
        let w = waiters.remove(at: i)
        lock.unlock()
        w.continuation.resume(throwing: error)
    }
}
