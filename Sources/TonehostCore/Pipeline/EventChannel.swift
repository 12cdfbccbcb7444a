import Foundation

/// The pipeline's events on their way to one consumer — `AsyncStream`'s semantics (buffered,
/// ends once, the producer learns of the consumer's end through `onTermination`), plus
/// `nextBatch()`: everything buffered at once, so a consumer that fell behind (100 answers on 2
/// cores) writes the tokens that piled up in one write and one wake-up instead of one each.
///
/// Dropping the channel, or cancelling the task waiting in it, terminates it: later events are
/// dropped and `onTermination` runs (the pipeline cancels its work).
public final class EventChannel<Element: Sendable>: AsyncSequence, @unchecked Sendable {
    /// The producing side: yield events, then finish.
    public struct Producer: Sendable {
        fileprivate let storage: Storage

        public func yield(_ element: Element) { storage.yield(element) }
        public func finish() { storage.finish() }
        /// Runs once when the channel ends: finished by the producer, dropped or cancelled by the consumer.
        public var onTermination: (@Sendable () -> Void)? {
            get { nil }
            nonmutating set { storage.setOnTermination(newValue) }
        }
    }

    fileprivate final class Storage: @unchecked Sendable {
        private let lock = NSLock()
        private var buffer: [Element] = []
        private var ended = false
        /// A consumer parked on its continuation, with its way back to its own thread.
        private typealias Parked = (continuation: CheckedContinuation<Void, Never>, hop: ResumeAffinity.Hop?)
        private var waiter: Parked?
        private var onTermination: (@Sendable () -> Void)?
        /// A consumer pausing (`pause(until:unless:)`) and what ends its pause early.
        private var pauser: Parked?
        /// Cancels the pause's timer: the event loop's own when the consumer runs on one, else
        /// the host's timer thread.
        private var cancelPauseTimer: (@Sendable () -> Void)?
        private var urgent: (@Sendable (Element) -> Bool)?

        func yield(_ element: Element) {
            lock.lock()
            guard !ended else { lock.unlock(); return }
            buffer.append(element)
            let w = takeWaiter()
            let p = urgent.map { $0(element) } == true ? takePauser() : nil
            lock.unlock()
            resume(w)
            resume(p)
        }

        /// Under the lock: the waiting consumer, if any, no longer waiting.
        private func takeWaiter() -> Parked? {
            defer { waiter = nil }
            return waiter
        }

        /// Under the lock: the pausing consumer, if any, no longer pausing.
        private func takePauser() -> Parked? {
            let p = pauser
            pauser = nil
            urgent = nil
            cancelPauseTimer?()
            cancelPauseTimer = nil
            return p
        }

        /// Resumes a parked consumer on the thread it parked on (see `ResumeAffinity`).
        private func resume(_ parked: Parked?) {
            guard let parked else { return }
            ResumeAffinity.resume(parked.hop) { parked.continuation.resume() }
        }

        func pause(until deadline: ContinuousClock.Instant, unless isUrgent: @escaping @Sendable (Element) -> Bool) async {
            let delay = deadline - .now
            guard delay > .zero else { return }
            await withTaskCancellationHandler {
                await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
                    lock.lock()
                    if ended || pauser != nil || Task.isCancelled || buffer.contains(where: isUrgent) {
                        lock.unlock()
                        c.resume()
                        return
                    }
                    pauser = (c, ResumeAffinity.capture())
                    urgent = isUrgent
                    if let schedule = ResumeAffinity.captureDelay() {
                        cancelPauseTimer = schedule(UInt64(delay / .nanoseconds(1))) { [weak self] in self?.endPause() }
                    } else {
                        let timer = OneShotTimer(after: delay, inline: true) { [weak self] in self?.endPause() }
                        cancelPauseTimer = { timer.cancel() }
                    }
                    lock.unlock()
                }
            } onCancel: {
                endPause()
            }
        }

        private func endPause() {
            lock.lock()
            let p = takePauser()
            lock.unlock()
            resume(p)
        }

        func finish() { end() }

        func setOnTermination(_ handler: (@Sendable () -> Void)?) {
            lock.lock()
            if ended {
                lock.unlock()
                handler?()
                return
            }
            onTermination = handler
            lock.unlock()
        }

        /// Ends the channel (buffered events stay readable); runs `onTermination` once.
        func end(dropBuffered: Bool = false) {
            lock.lock()
            if dropBuffered { buffer.removeAll() }
            guard !ended else { lock.unlock(); return }
            ended = true
            let w = takeWaiter()
            let handler = onTermination
            onTermination = nil
            let p = takePauser()
            lock.unlock()
            resume(w)
            resume(p)
            handler?()
        }

        private enum Poll {
            case batch([Element])
            case ended
            case empty
        }

        /// What is there now, without waiting.
        private func poll(limit: Int) -> Poll {
            lock.lock()
            defer { lock.unlock() }
            if !buffer.isEmpty {
                if buffer.count <= limit {
                    defer { buffer.removeAll(keepingCapacity: true) }
                    return .batch(buffer)
                }
                defer { buffer.removeFirst(limit) }
                return .batch(Array(buffer.prefix(limit)))
            }
            return ended ? .ended : .empty
        }

        /// Parks `c` until an event or the end arrives (resumes at once if one already has).
        private func park(_ c: CheckedContinuation<Void, Never>) {
            lock.lock()
            if !buffer.isEmpty || ended || waiter != nil {
                lock.unlock()
                c.resume()
                return
            }
            waiter = (c, ResumeAffinity.capture())
            lock.unlock()
        }

        private func unpark() {
            lock.lock()
            let w = takeWaiter()
            lock.unlock()
            resume(w)
        }

        /// Everything buffered (at most `limit`), waiting for one event if there is none; nil at the end.
        func take(limit: Int) async -> [Element]? {
            while true {
                if Task.isCancelled {
                    end(dropBuffered: true)
                    return nil
                }
                switch poll(limit: limit) {
                case .batch(let batch): return batch
                case .ended: return nil
                case .empty:
                    await withTaskCancellationHandler {
                        await withCheckedContinuation { park($0) }
                    } onCancel: {
                        unpark()
                    }
                }
            }
        }
    }

    private let storage = Storage()

    /// A channel and its producer; `body` starts producing (like `AsyncStream`'s build closure).
    public init(_ body: (Producer) -> Void) {
        body(Producer(storage: storage))
    }

    deinit { storage.end(dropBuffered: true) }

    /// The next event; nil at the end.
    public func next() async -> Element? { await storage.take(limit: 1)?.first }

    /// Every event buffered now (at least one, waiting for it); nil at the end.
    public func nextBatch() async -> [Element]? { await storage.take(limit: .max) }

    /// Waits until `deadline`, or less: until an event `isUrgent` says must not wait is
    /// buffered, the channel ends, or the task is cancelled. Events keep buffering meanwhile
    /// (a consumer pacing its writes lets tokens pile up, but not the end of the answer).
    public func pause(until deadline: ContinuousClock.Instant, unless isUrgent: @escaping @Sendable (Element) -> Bool) async {
        await storage.pause(until: deadline, unless: isUrgent)
    }

    public struct AsyncIterator: AsyncIteratorProtocol {
        let channel: EventChannel
        public mutating func next() async -> Element? { await channel.next() }
    }

    public func makeAsyncIterator() -> AsyncIterator { AsyncIterator(channel: self) }
}

public typealias PipelineEvents = EventChannel<PipelineEvent>
public typealias PipelineOutput = EventChannel<PipelineEvent>.Producer
