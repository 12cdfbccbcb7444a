import Foundation
import Hummingbird
import NIOCore
import TonehostCore

/// Writes pipeline events in the original API's framing: the answer text as it streams, then
/// `ERROR: <reason>` (on failure) and `END_FLAG`, each on a line of its own, so clients reading
/// line by line (`line == "END_FLAG"`) and byte by byte (substring `END_FLAG`) both work.
/// The tone goes out as the `X-Tone` header, so the first event is awaited before the headers.
enum AnswerStream {
    static let endFlag = "END_FLAG"

    static func response(_ events: AsyncStream<PipelineEvent>,
                         onFinished: @escaping @Sendable (PipelineSummary) async -> Void) async -> Response {
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
            func write(_ text: String) async throws {
                guard !text.isEmpty else { return }
                try await writer.write(ByteBuffer(string: text))
                endsWithNewline = text.hasSuffix("\n")
            }
            func line(_ text: String) async throws {
                try await write((endsWithNewline ? "" : "\n") + text + "\n")
            }
            while let event = await box.next() {
                switch event {
                case .tone:
                    break
                case .text(let chunk):
                    try await write(chunk)
                case .failure(let message):
                    try await line("ERROR: " + message.replacingOccurrences(of: "\n", with: " "))
                case .finished(let summary):
                    try await line(endFlag)
                    await onFinished(summary)
                }
            }
            try await writer.finish(nil)
        })
    }

    /// Holds the iterator across the handler and the body writer (one consumer at a time).
    final class IteratorBox: @unchecked Sendable {
        var iterator: AsyncStream<PipelineEvent>.Iterator
        var pending: PipelineEvent?
        init(iterator: AsyncStream<PipelineEvent>.Iterator, pending: PipelineEvent?) {
            self.iterator = iterator
            self.pending = pending
        }
        func next() async -> PipelineEvent? {
            if let p = pending {
                pending = nil
                return p
            }
            return await iterator.next()
        }
    }
}
