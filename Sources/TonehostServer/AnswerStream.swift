import Foundation
import Hummingbird
import NIOCore
import TonehostCore

/// Writes pipeline events in the original API's framing: the answer text as it streams, then
/// `ERROR: <reason>` (on failure) and `END_FLAG`, each on a line of its own, so clients reading
/// line by line (`line == "END_FLAG"`) and byte by byte (substring `END_FLAG`) both work.
/// The tone goes out as the `X-Tone` header, so the first event is awaited before the headers.
/// Past `timeout` (counted from `started`) the stream ends with `ERROR: request timed out` and
/// the rest of the request's work is cancelled.
///
/// `END_FLAG` means "done and stored": `onFinished` (the session-history commit) runs before it
/// is written, so a client that saw `END_FLAG` finds the turn in the history. Text from plugins
/// and clients passes through `FramingGuard`, so only the host writes framing lines.
enum AnswerStream {
    static let endFlag = "END_FLAG"

    static func response(_ events: AsyncStream<PipelineEvent>, timeout: Duration? = nil,
                         started: ContinuousClock.Instant = .now,
                         onFinished: @escaping @Sendable (PipelineSummary) async -> Void) async -> Response {
        let metrics = TonehostMetrics.shared
        var iterator = events.makeAsyncIterator()
        let first = await iterator.next()
        var headers: HTTPFields = [
            .contentType: "text/plain; charset=utf-8",
            .cacheControl: "no-cache",
        ]
        headers[.init("X-Accel-Buffering")!] = "no"
        var pending: PipelineEvent? = first
        if case .tone(let decision) = first {
            headers[.init("X-Tone")!] = decision.category
            pending = nil
        }
        let box = IteratorBox(iterator: iterator, pending: pending)
        return Response(status: .ok, headers: headers, body: ResponseBody { writer in
            var endsWithNewline = true
            var firstByte = true
            var framing = FramingGuard()
            func write(_ text: String) async throws {
                guard !text.isEmpty else { return }
                try await writer.write(ByteBuffer(string: text))
                if firstByte {
                    firstByte = false
                    metrics.firstByte.recordNanoseconds(Int64((ContinuousClock.now - started) / .nanoseconds(1)))
                }
                endsWithNewline = text.hasSuffix("\n")
            }
            /// A framing line of the host's own, on a line of its own.
            func line(_ text: String) async throws {
                try await write(framing.finish())
                try await write((endsWithNewline ? "" : "\n") + text + "\n")
            }
            let timed = TimedEvents(box, deadline: timeout.map { started + $0 })
            defer { timed.cancel() }
            while let item = await timed.next() {
                switch item {
                case .timedOut:
                    metrics.requestTimeouts.increment()
                    try await line("ERROR: request timed out")
                    try await line(endFlag)
                    try await writer.finish(nil)
                    return
                case .event(.tone):
                    break
                case .event(.text(let chunk)):
                    try await write(framing.push(chunk))
                case .event(.failure(let failure)):
                    try await line("ERROR: " + FramingGuard.errorMessage(failure.description))
                case .event(.finished(let summary)):
                    metrics.record(summary)
                    await onFinished(summary)  // commit first: END_FLAG means done and stored
                    try await line(endFlag)
                }
            }
            try await writer.finish(nil)
        })
    }

    /// Holds the iterator across the handler and the body writer (one consumer at a time).
    /// Counts the answer stream in flight from creation until it is dropped.
    final class IteratorBox: @unchecked Sendable {
        var iterator: AsyncStream<PipelineEvent>.Iterator
        var pending: PipelineEvent?
        init(iterator: AsyncStream<PipelineEvent>.Iterator, pending: PipelineEvent?) {
            self.iterator = iterator
            self.pending = pending
            TonehostMetrics.shared.inFlight.increment()
        }
        deinit { TonehostMetrics.shared.inFlight.decrement() }
        func next() async -> PipelineEvent? {
            if let p = pending {
                pending = nil
                return p
            }
            return await iterator.next()
        }
    }

    /// The pipeline's events, or `.timedOut` once the deadline passes. Cancelling stops the
    /// forwarding task, which cancels the pipeline (it watches its stream's termination).
    final class TimedEvents: @unchecked Sendable {
        enum Item: Sendable {
            case event(PipelineEvent)
            case timedOut
        }
        private let stream: AsyncStream<Item>
        private var iterator: AsyncStream<Item>.Iterator
        private let forward: Task<Void, Never>
        private let timer: OneShotTimer?

        init(_ box: IteratorBox, deadline: ContinuousClock.Instant?) {
            let (stream, continuation) = AsyncStream<Item>.makeStream()
            self.stream = stream
            iterator = stream.makeAsyncIterator()
            forward = Task {
                while let event = await box.next() { continuation.yield(.event(event)) }
                continuation.finish()
            }
            timer = deadline.map { deadline in
                OneShotTimer(after: deadline - .now) {
                    continuation.yield(.timedOut)
                    continuation.finish()
                }
            }
        }

        func next() async -> Item? { await iterator.next() }

        func cancel() {
            forward.cancel()
            timer?.cancel()
        }
    }
}
