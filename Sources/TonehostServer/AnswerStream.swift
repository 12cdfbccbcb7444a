import Foundation
import Hummingbird
import NIOCore
import TonehostCore

/// Writes pipeline events in the original API's framing: the answer text as it streams, then
/// `ERROR: <reason>` (on failure) and `END_FLAG`, each on a line of its own, so clients reading
/// line by line (`line == "END_FLAG"`) and byte by byte (substring `END_FLAG`) both work.
/// The tone goes out as the `X-Tone` header, so the first event is awaited before the headers.
/// When the pipeline's stream says `.timedOut` (its `timeout`, counted from the request's
/// start) the answer ends with `ERROR: request timed out` and `END_FLAG`.
///
/// `END_FLAG` means "done and stored": `onFinished` (the session-history commit) runs before it
/// is written, so a client that saw `END_FLAG` finds the turn in the history. Text from plugins
/// and clients passes through `FramingGuard`, so only the host writes framing lines.
enum AnswerStream {
    static let endFlag = "END_FLAG"

    static func response(_ events: PipelineEvents, started: ContinuousClock.Instant = .now,
                         onFinished: @escaping @Sendable (PipelineSummary) async -> Void) async -> Response {
        let metrics = TonehostMetrics.shared
        let first = await events.next()
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
        let box = IteratorBox(events: events, pending: pending)
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
            // Text that piled up while the last write was out goes in one write, and text
            // writes are paced `textWritePacing` apart: an LLM streaming a token every 5 ms
            // costs a write (a syscall, a TCP segment) per few tokens, not per token. The first
            // write is never delayed; more text waits at most `textWritePacing`, the end of the
            // answer (`END_FLAG`, `ERROR:`) not at all.
            var text = ""
            var lastTextWrite: ContinuousClock.Instant?
            var pending = false  // the last batch ended with text, the answer goes on
            while true {
                if pending, let last = lastTextWrite {
                    // Only text waits: the end of the answer (or its failure) goes out at once.
                    await box.events.pause(until: last + AnswerStream.textWritePacing) { event in
                        if case .text = event { return false }
                        return true
                    }
                }
                guard let batch = await box.nextBatch() else { break }
                pending = false
                for event in batch {
                    if case .text(let chunk) = event {
                        text += framing.push(chunk)
                        continue
                    }
                    try await write(text)
                    text = ""
                    switch event {
                    case .timedOut:
                        metrics.requestTimeouts.increment()
                        try await line("ERROR: request timed out")
                        try await line(endFlag)
                        try await writer.finish(nil)
                        return
                    case .tone, .text:
                        break
                    case .failure(let failure):
                        try await line("ERROR: " + FramingGuard.errorMessage(failure.description))
                    case .finished(let summary):
                        metrics.record(summary)
                        await onFinished(summary)  // commit first: END_FLAG means done and stored
                        try await line(endFlag)
                    }
                }
                if !text.isEmpty {
                    try await write(text)
                    text = ""
                    lastTextWrite = .now
                    pending = true
                }
            }
            try await writer.finish(nil)
        })
    }

    /// The least time between two writes of answer text (see the loop above).
    static let textWritePacing: Duration = .milliseconds(10)

    /// Holds the events across the handler and the body writer (one consumer at a time), with the
    /// first event when the handler read it for the headers. Counts the answer stream in flight
    /// from creation until it is dropped.
    final class IteratorBox: @unchecked Sendable {
        let events: PipelineEvents
        var pending: PipelineEvent?
        init(events: PipelineEvents, pending: PipelineEvent?) {
            self.events = events
            self.pending = pending
            TonehostMetrics.shared.inFlight.increment()
        }
        deinit { TonehostMetrics.shared.inFlight.decrement() }
        func nextBatch() async -> [PipelineEvent]? {
            if let p = pending {
                pending = nil
                return [p]
            }
            return await events.nextBatch()
        }
    }
}
