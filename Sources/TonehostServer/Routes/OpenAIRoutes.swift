import Foundation
import Hummingbird
import NIOCore
import SessionStore
import TonehostCore
import TonehostTypes

/// The OpenAI-compatible façade: `GET /v1/models` and `POST /v1/chat/completions` (streamed as
/// server-sent events, or one JSON body), running the same pipeline as `/api/rag-llm/query-with-tone`.
/// `v1` is the `/v1` group with `OpenAIErrorMiddleware` and the API's access policy.
struct OpenAIRoutes {
    let runtime: HostRuntime
    /// Questions per session (settings.rateLimitPerSession), shared with the original API.
    let sessionLimiter: ClusterRateLimit

    func register(on v1: RouterGroup<TonehostRequestContext>) {
        v1.get("models") { _, _ in
            let generation = try await runtime.requireGeneration()
            return ModelList(names: OpenAIModels.names(categories: generation.toneCategories), created: Self.startedAt)
        }
        v1.post("chat/completions") { request, context in try await completions(request, context) }
    }

    /// When this process started: the `created` of every model.
    static let startedAt = Int(Date().timeIntervalSince1970)

    func completions(_ request: Request, _ context: TonehostRequestContext) async throws -> Response {
        let started = ContinuousClock.now
        let settings = runtime.settings
        let body = try await request.decodeBody(ChatCompletionRequest.self, context: context, limits: RequestLimits(settings))
        let generation = try await runtime.requireGeneration()

        // The tone: the `tone` field, else the model name's; an unknown one is the client's mistake.
        var convertTone = body.convertTone
        var forced: String?
        switch body.model {
        case OpenAIModels.auto: break
        case OpenAIModels.original: convertTone = false
        case let name where name.hasPrefix(OpenAIModels.prefix) && generation.tones[String(name.dropFirst(OpenAIModels.prefix.count))] != nil:
            forced = String(name.dropFirst(OpenAIModels.prefix.count))
        default:
            throw OpenAIError(.notFound, "the model '\(body.model)' does not exist; GET /v1/models lists "
                              + OpenAIModels.names(categories: generation.toneCategories).joined(separator: ", "), code: "model_not_found")
        }
        if let tone = body.tone {
            guard generation.tones[tone] != nil else {
                throw OpenAIError(.badRequest, "'tone' is '\(tone)'; expected one of \(generation.toneCategories.joined(separator: ", "))",
                                  code: "invalid_tone")
            }
            forced = tone
        }

        let session = body.sessionID
        if let wait = await sessionLimiter.take("session:" + (session ?? "default"), perMinute: settings.rateLimitPerSession, logger: context.logger) {
            throw AccessControlMiddleware.tooMany("session \(session ?? "default")", wait: wait)
        }
        let runtime = self.runtime
        let history = runtime.history
        var turns = body.includeHistory ? body.history : []
        var firstMessage = turns.isEmpty
        var historyUnavailable = false
        if let session {
            let stored = await history.read(runtime, session: session, messages: settings.historyMessages,
                                            within: settings.historyTimeout, logger: context.logger)
            historyUnavailable = stored == nil
            turns = body.includeHistory ? (stored ?? []).map { ChatMessage(role: $0.role, content: $0.content) } : []
            firstMessage = stored?.isEmpty ?? true
        }
        turns = Array(turns.suffix(settings.historyMessages))
        let question = body.question
        let pipelineRequest = PipelineRequest(
            question: question, sessionID: session ?? "default", history: turns, userDescription: body.userDescription,
            convertTone: convertTone, firstMessage: firstMessage, tone: forced)
        let events = runtime.pipeline.run(pipelineRequest, generation: generation, requestID: context.requestID,
                                          timeout: settings.requestTimeout.map { $0 - (.now - started) })
        let onFinished: @Sendable (PipelineSummary) async -> Void = { summary in
            guard let session, !summary.failed, !summary.originalAnswer.isEmpty else { return }
            await history.write(runtime, session: session, turn: [.init(role: "user", content: question),
                                                                   .init(role: "assistant", content: summary.originalAnswer)],
                                within: settings.historyTimeout, logger: context.logger)
        }
        let completion = Completion(id: "chatcmpl-" + context.requestID, created: Int(Date().timeIntervalSince1970), model: body.model)
        var response: Response
        if body.stream {
            response = await completion.stream(events, started: started, onFinished: onFinished)
        } else {
            response = try await completion.whole(events, started: started, onFinished: onFinished)
        }
        if historyUnavailable { response.headers[.init("X-History")!] = "unavailable" }
        return response
    }

    /// One completion's identity, and its two ways of being answered.
    struct Completion: Sendable {
        let id: String
        let created: Int
        let model: String

        /// `text/event-stream`: a first chunk with the role (and the tone), one chunk per piece
        /// of text, a last chunk with `finish_reason: stop`, then `data: [DONE]`. A failure is
        /// an `{"error": …}` event before `[DONE]` (OpenAI's SDKs raise it).
        func stream(_ events: PipelineEvents, started: ContinuousClock.Instant,
                    onFinished: @escaping @Sendable (PipelineSummary) async -> Void) async -> Response {
            let first = await events.next()
            var pending: PipelineEvent? = first
            var chosen: String?
            if case .tone(let decision) = first {
                chosen = decision.category
                pending = nil
            }
            let tone = chosen
            var headers: HTTPFields = [.contentType: "text/event-stream; charset=utf-8", .cacheControl: "no-cache"]
            headers[.init("X-Accel-Buffering")!] = "no"
            if let tone { headers[.init("X-Tone")!] = tone }
            let box = AnswerStream.IteratorBox(events: events, pending: pending)
            let metrics = TonehostMetrics.shared
            return Response(status: .ok, headers: headers, body: ResponseBody { writer in
                let encoder = ContractJSONEncoder.encoder()
                var firstByte = true
                func send(_ json: some Encodable) async throws {
                    var buffer = ByteBuffer(string: "data: ")
                    buffer.writeBytes(try encoder.encode(json))
                    buffer.writeString("\n\n")
                    try await writer.write(buffer)
                    if firstByte {
                        firstByte = false
                        metrics.firstByte.recordNanoseconds(Int64((ContinuousClock.now - started) / .nanoseconds(1)))
                    }
                }
                func chunk(_ delta: DeltaChoice.Delta, finish: String? = nil) -> ChatCompletionChunk {
                    ChatCompletionChunk(id: id, created: created, model: model,
                                        choices: [.init(delta: delta, finishReason: finish)], tone: tone)
                }
                func done() async throws {
                    try await writer.write(ByteBuffer(string: "data: [DONE]\n\n"))
                    try await writer.finish(nil)
                }
                try await send(chunk(.init(role: "assistant", content: "")))
                var failed = false
                while let batch = await box.nextBatch() {
                    // Text that piled up while the last chunk was out goes in one chunk.
                    var text = ""
                    for event in batch {
                        if case .text(let t) = event { text += t; continue }
                        if !text.isEmpty { try await send(chunk(.init(content: text))) }
                        text = ""
                        switch event {
                        case .timedOut:
                            metrics.requestTimeouts.increment()
                            try await send(OpenAIErrorBody(status: .gatewayTimeout, message: "request timed out", code: "timeout"))
                            try await done()
                            return
                        case .tone, .text:
                            break
                        case .failure(let failure):
                            failed = true
                            try await send(OpenAIErrorBody(status: .badGateway, message: failure.description, code: "answer_failed"))
                        case .finished(let summary):
                            metrics.record(summary)
                            await onFinished(summary)  // stored before [DONE], as before END_FLAG
                            if !failed { try await send(chunk(.init(), finish: "stop")) }
                        }
                    }
                    if !text.isEmpty { try await send(chunk(.init(content: text))) }
                }
                try await done()
            })
        }

        /// One `chat.completion` body once the answer is complete; a failed answer is a 502
        /// in OpenAI's error shape (a timeout 504).
        func whole(_ events: PipelineEvents, started: ContinuousClock.Instant,
                   onFinished: @escaping @Sendable (PipelineSummary) async -> Void) async throws -> Response {
            let box = AnswerStream.IteratorBox(events: events, pending: nil)
            var text = "", tone: String?, failure: String?
            loop: for await event in box.events {
                switch event {
                case .timedOut:
                    TonehostMetrics.shared.requestTimeouts.increment()
                    throw OpenAIError(.gatewayTimeout, "request timed out", code: "timeout")
                case .tone(let decision): tone = decision.category
                case .text(let t): text += t
                case .failure(let f): failure = f.description
                case .finished(let summary):
                    TonehostMetrics.shared.record(summary)
                    await onFinished(summary)
                    break loop
                }
            }
            if let failure { throw OpenAIError(.badGateway, failure, code: "answer_failed") }
            let body = ChatCompletion(id: id, created: created, model: model,
                                      choices: [.init(message: ChatMessage(role: "assistant", content: text))], tone: tone)
            let data = try ContractJSONEncoder.encoder().encode(body)
            var headers: HTTPFields = [.contentType: "application/json"]
            if let tone { headers[.init("X-Tone")!] = tone }
            return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: data)))
        }
    }
}

/// An error of the façade, answered in OpenAI's shape with a `code` its SDKs show.
struct OpenAIError: Error {
    let status: HTTPResponse.Status
    let message: String
    let code: String?

    init(_ status: HTTPResponse.Status, _ message: String, code: String? = nil) {
        self.status = status
        self.message = message
        self.code = code
    }
}

/// Answers every error under `/v1` in OpenAI's shape (`{"error": {"message", "type", …}}`),
/// the API's own errors (400 naming the field, 401, 413, 429 with `Retry-After`) included.
struct OpenAIErrorMiddleware: RouterMiddleware {
    typealias Context = TonehostRequestContext

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let error as OpenAIError {
            return try Self.answer(error.status, error.message, code: error.code, headers: [:], request, context)
        } catch {
            guard let answer = APIError(answering: error, to: request, maxUploadSize: context.maxUploadSize) else {
                context.logger.error("request failed", metadata: ["error": "\(error)"])
                return try Self.answer(.internalServerError, "internal error", code: nil, headers: [:], request, context)
            }
            return try Self.answer(answer.status, answer.message, code: nil, headers: answer.headers, request, context)
        }
    }

    static func answer(_ status: HTTPResponse.Status, _ message: String, code: String?, headers: HTTPFields,
                       _ request: Request, _ context: Context) throws -> Response {
        var response = try context.responseEncoder.encode(OpenAIErrorBody(status: status, message: message, code: code),
                                                          from: request, context: context)
        response.status = status
        response.headers.append(contentsOf: headers)
        return response
    }
}
