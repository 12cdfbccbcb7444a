import Foundation
import Hummingbird
import NIOCore

/// A fake LLM server on 127.0.0.1 speaking Ollama (`POST /api/chat`, NDJSON) and the
/// OpenAI-compatible API (`POST /v1/chat/completions`, SSE), for tests and benchmarks. It
/// records every request body and answers by the request's purpose, recognised from the
/// system prompt: tone selection, tone conversion, query rewriting, or the answer.
public final class FakeChatServer: @unchecked Sendable {
    public struct Behaviour: Sendable {
        /// Tokens of an answer, streamed one per chunk.
        public var answerTokens: [String] = ["ITRI ", "is ", "Taiwan's ", "applied ", "research ", "institute."]
        public var tokenDelayMilliseconds = 0
        /// Reply to a tone-selection prompt.
        public var selectorReply = "elder_friendly"
        /// Reply to a tone-conversion prompt (nil: echo "TONED: " + the answer).
        public var toneReply: String? = nil
        /// Reply to a query-rewrite prompt.
        public var rewriteReply = "Who founded ITRI?"
        /// The tone's closing line, when a tone asks for it alone (no answer to rewrite).
        public var toneClosingReply = "Want to know more?"
        /// Fail after this many answer tokens (a backend error mid-stream).
        public var failAfterTokens: Int? = nil
        /// Drop the connection (no end of the chunked body) after this many answer tokens.
        public var disconnectAfterTokens: Int? = nil
        /// Insert malformed lines between tokens.
        public var malformedLines = false
        /// Answer HTTP 500 for these purposes ("answer", "select", "tone", "rewrite", "translate", "embed").
        public var status500For: Set<String> = []
        /// Answer stream lines sent exactly as given, one chunk each, instead of encoding
        /// `answerTokens` (escapes, surrogate pairs, odd spacing a real server may send).
        public var rawAnswerLines: [String]? = nil
        /// Reply to a query-translation prompt (cross-language retrieval).
        public var translateReply = "工研院院長"
        /// Embeddings (`POST /api/embed`, `POST /v1/embeddings`): the vectors' dimension.
        public var embeddingDimension = 64
        /// Embedding requests answered before the server starts answering HTTP 500 (an
        /// interrupted ingest); nil: always answer.
        public var embeddingRequestsBeforeFailure: Int? = nil
        public var embeddingDelayMilliseconds = 0
        /// Keep every request's body and `Authorization` header for `received` / `authorizations`
        /// (the tests' assertions); a long-running fake (the host bench's) turns it off, or it
        /// grows by every prompt it is sent.
        public var recordsRequests = true
        public init() {}
    }

    public let port: Int
    private let lock = NSLock()
    private var bodies: [[String: Any]] = []
    private var headers: [String] = []
    private var task: Task<Void, Error>?
    public var behaviour: Behaviour

    public var url: String { "http://127.0.0.1:\(port)" }

    /// Request bodies received so far (JSON objects), in order.
    public var received: [[String: Any]] { lock.lock(); defer { lock.unlock() }; return bodies }
    /// Authorization headers received.
    public var authorizations: [String] { lock.lock(); defer { lock.unlock() }; return headers }

    public init(port: Int, behaviour: Behaviour = Behaviour()) async throws {
        self.port = port
        self.behaviour = behaviour
        let router = Router()
        let server = self
        router.post("api/chat") { request, _ in try await server.handle(request, openAI: false) }
        router.post("v1/chat/completions") { request, _ in try await server.handle(request, openAI: true) }
        router.get("v1/models") { _, _ in Response(status: .ok, headers: [.contentType: "application/json"],
                                                   body: .init(byteBuffer: ByteBuffer(string: #"{"data":[]}"#))) }
        router.get("health") { _, _ in Response(status: .ok) }
        router.post("api/embed") { request, _ in try await server.embed(request, openAI: false) }
        router.post("v1/embeddings") { request, _ in try await server.embed(request, openAI: true) }
        let app = Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: port)))
        task = Task { try await app.run() }
        try await Task.sleep(for: .milliseconds(300))
    }

    public func stop() { task?.cancel() }
    deinit { task?.cancel() }

    public static func purpose(of body: [String: Any]) -> String {
        let messages = body["messages"] as? [[String: Any]] ?? []
        let system = messages.first { ($0["role"] as? String) == "system" }?["content"] as? String ?? ""
        if system.contains("You choose how a museum guide should speak") { return "select" }
        if system.contains("You rewrite a museum guide's answer") || system.contains("改寫導覽員的回答") { return "tone" }
        if system.contains("You rewrite a visitor's follow-up question") { return "rewrite" }
        if system.contains("You translate a visitor's search query") { return "translate" }
        if messages.isEmpty { return "warmup" }
        return "answer"
    }

    private func handle(_ request: Request, openAI: Bool) async throws -> Response {
        let buffer = try await request.body.collect(upTo: 1 << 22)
        let body = (try? JSONSerialization.jsonObject(with: Data(buffer.readableBytesView)) as? [String: Any]) ?? [:]
        lock.lock()
        let b = behaviour
        if b.recordsRequests {
            bodies.append(body)
            if let auth = request.headers[.authorization] { headers.append(auth) }
        }
        lock.unlock()
        let purpose = Self.purpose(of: body)
        if b.status500For.contains(purpose) {
            return Response(status: .internalServerError, headers: [.contentType: "application/json"],
                            body: .init(byteBuffer: ByteBuffer(string: openAI ? #"{"error":{"message":"model exploded"}}"# : #"{"error":"model exploded"}"#)))
        }
        if purpose == "warmup" {
            return Response(status: .ok, headers: [.contentType: "application/json"],
                            body: .init(byteBuffer: ByteBuffer(string: #"{"model":"m","done":true,"message":{"role":"assistant","content":""}}"#)))
        }
        let tokens: [String]
        switch purpose {
        case "select": tokens = [b.selectorReply]
        case "rewrite": tokens = [b.rewriteReply]
        case "translate": tokens = [b.translateReply]
        case "tone":
            let messages = body["messages"] as? [[String: Any]] ?? []
            let user = messages.last?["content"] as? String ?? ""
            if user.contains("<<<ANSWER TO REWRITE>>>") {
                let answer = user.components(separatedBy: "<<<ANSWER TO REWRITE>>>\n").last?.components(separatedBy: "\n<<<END ANSWER").first ?? ""
                tokens = [b.toneReply ?? "TONED: \(answer)"]
            } else {
                tokens = [b.toneClosingReply]  // the tone's closing line only
            }
        default: tokens = b.answerTokens
        }
        let stream = AsyncThrowingStream<ByteBuffer, Error> { continuation in
            let t = Task {
                if purpose == "answer", let raw = b.rawAnswerLines {
                    for line in raw { continuation.yield(ByteBuffer(string: line)) }
                    continuation.yield(ByteBuffer(string: openAI ? "data: [DONE]\n\n" : "{\"message\":{\"role\":\"assistant\",\"content\":\"\"},\"done\":true}\n"))
                    continuation.finish()
                    return
                }
                for (i, token) in tokens.enumerated() {
                    if b.tokenDelayMilliseconds > 0 { try? await Task.sleep(for: .milliseconds(b.tokenDelayMilliseconds)) }
                    if purpose == "answer", let n = b.disconnectAfterTokens, i == n {
                        continuation.finish(throwing: CancellationError())  // the server drops the connection
                        return
                    }
                    if purpose == "answer", let n = b.failAfterTokens, i == n {
                        continuation.yield(ByteBuffer(string: openAI ? "data: {\"error\":{\"message\":\"GPU fell over\"}}\n\n" : "{\"error\":\"GPU fell over\"}\n"))
                        continuation.finish()
                        return
                    }
                    if b.malformedLines { continuation.yield(ByteBuffer(string: openAI ? "data: {oops\n\n" : "{oops\n")) }
                    continuation.yield(ByteBuffer(string: Self.chunk(token, openAI: openAI)))
                }
                continuation.yield(ByteBuffer(string: openAI ? "data: [DONE]\n\n" : "{\"message\":{\"role\":\"assistant\",\"content\":\"\"},\"done\":true}\n"))
                continuation.finish()
            }
            continuation.onTermination = { _ in t.cancel() }
        }
        return Response(status: .ok, headers: [.contentType: openAI ? "text/event-stream" : "application/x-ndjson"],
                        body: ResponseBody(asyncSequence: stream))
    }

    /// Texts embedded so far, one list per request, in order.
    public var embeddedBatches: [[String]] { lock.lock(); defer { lock.unlock() }; return batches }
    private var batches: [[String]] = []

    private func embed(_ request: Request, openAI: Bool) async throws -> Response {
        let buffer = try await request.body.collect(upTo: 1 << 24)
        let body = (try? JSONSerialization.jsonObject(with: Data(buffer.readableBytesView)) as? [String: Any]) ?? [:]
        let input: [String]
        if let list = body["input"] as? [String] { input = list } else if let one = body["input"] as? String { input = [one] } else { input = [] }
        lock.lock()
        let b = behaviour
        let served = batches.count
        let failing = b.status500For.contains("embed") || (b.embeddingRequestsBeforeFailure.map { served >= $0 } ?? false)
        if !failing { batches.append(input) }  // also counts the requests served (embeddingRequestsBeforeFailure)
        if b.recordsRequests, let auth = request.headers[.authorization] { headers.append(auth) }
        lock.unlock()
        if b.embeddingDelayMilliseconds > 0 { try await Task.sleep(for: .milliseconds(b.embeddingDelayMilliseconds)) }
        func json(_ status: HTTPResponse.Status, _ object: Any) -> Response {
            Response(status: status, headers: [.contentType: "application/json"],
                     body: .init(byteBuffer: ByteBuffer(data: try! JSONSerialization.data(withJSONObject: object))))
        }
        if failing { return json(.internalServerError, openAI ? ["error": ["message": "embedding model exploded"]] : ["error": "embedding model exploded"]) }
        guard !input.isEmpty, let model = body["model"] as? String else { return json(.badRequest, ["error": "input and model are required"]) }
        let vectors = input.map { Self.embedding($0, dimension: b.embeddingDimension) }
        if openAI {
            return json(.ok, ["object": "list", "model": model,
                              "data": vectors.enumerated().map { ["object": "embedding", "index": $0.offset, "embedding": $0.element] }])
        }
        return json(.ok, ["model": model, "embeddings": vectors])
    }

    /// A deterministic bag-of-terms embedding: lower-cased ASCII words and CJK character bigrams
    /// hashed into `dimension` signed buckets, unit length. Texts sharing terms point alike.
    public static func embedding(_ text: String, dimension: Int) -> [Double] {
        var v = [Double](repeating: 0, count: max(1, dimension))
        func add(_ term: String) {
            var h: UInt64 = 0xcbf29ce484222325
            for b in term.utf8 { h = (h ^ UInt64(b)) &* 0x100000001b3 }
            v[Int(h % UInt64(v.count))] += (h >> 63) == 0 ? 1 : -1
        }
        var word = ""
        var previousCJK: Character?
        for c in text.lowercased() {
            let isCJK = c.unicodeScalars.first.map { (0x3400...0x9FFF).contains($0.value) } ?? false
            if isCJK {
                if !word.isEmpty { add(word); word = "" }
                if let p = previousCJK { add(String([p, c])) }
                previousCJK = c
            } else {
                previousCJK = nil
                if c.isLetter || c.isNumber { word.append(c) } else if !word.isEmpty { add(word); word = "" }
            }
        }
        if !word.isEmpty { add(word) }
        let norm = v.reduce(0) { $0 + $1 * $1 }.squareRoot()
        return norm > 0 ? v.map { $0 / norm } : v.enumerated().map { $0.offset == 0 ? 1 : 0 }
    }

    static func chunk(_ token: String, openAI: Bool) -> String {
        let escaped = String(decoding: try! JSONSerialization.data(withJSONObject: [token]), as: UTF8.self).dropFirst().dropLast()
        if openAI { return "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\(escaped)}}]}\n\n" }
        return "{\"message\":{\"role\":\"assistant\",\"content\":\(escaped)},\"done\":false}\n"
    }
}
