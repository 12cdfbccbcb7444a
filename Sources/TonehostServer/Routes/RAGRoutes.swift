import Foundation
import Hummingbird
import SessionStore
import TonehostCore

/// The original `/api/rag-llm/*` API, kept field for field (MISSION §5).
struct RAGRoutes {
    let runtime: HostRuntime
    /// Questions per session_id (settings.rateLimitPerSession).
    let sessionLimiter: ClusterRateLimit

    /// `api` is the `/api/rag-llm` group (with the API's access policy); `/health` stays open.
    func register(on api: RouterGroup<TonehostRequestContext>, root router: Router<TonehostRequestContext>) {
        api.post("query") { request, context in try await query(request, context, convertToneDefault: false) }
        api.post("query-with-tone") { request, context in try await query(request, context, convertToneDefault: true) }
        api.post("convert-tone") { request, context in try await convertTone(request, context) }
        api.post("init") { _, _ in try await initialize() }
        api.post("warmup") { _, _ in try await warmup() }
        router.get("health") { _, _ in
            let state = runtime.retrieverState
            // Start-up with auto_init: answer once it ran (before, the listener was not up yet).
            if state.autoInitPending { await runtime.readiness.waitWhileStarting(upTo: .seconds(120)) }
            return HealthResponse(ragInitialized: state.initialized)
        }
    }

    func query(_ request: Request, _ context: TonehostRequestContext, convertToneDefault: Bool) async throws -> Response {
        let started = ContinuousClock.now
        let settings = runtime.settings
        let body = try await request.decodeBody(QueryRequest.self, context: context, limits: RequestLimits(settings))
        let question = body.question, session = body.sessionID
        if let wait = await sessionLimiter.take("session:" + session, perMinute: settings.rateLimitPerSession, logger: context.logger) {
            throw AccessControlMiddleware.tooMany("session \(session)", wait: wait)
        }

        let runtime = self.runtime
        let history = runtime.history
        // A store that cannot be read in time costs the answer its history, not the answer.
        let stored = await history.read(runtime, session: session, messages: settings.historyMessages,
                                        within: settings.historyTimeout, logger: context.logger)
        let pipelineRequest = PipelineRequest(
            question: question, sessionID: session,
            history: body.includeHistory ? stored ?? [] : [],
            userDescription: body.userDescription, convertTone: body.convertTone ?? convertToneDefault, imageBase64: body.image,
            firstMessage: stored?.isEmpty ?? true)
        let generation = try await runtime.requireGeneration()
        let events = runtime.pipeline.run(pipelineRequest, generation: generation, requestID: context.requestID,
                                          timeout: settings.requestTimeout.map { $0 - (.now - started) })
        var response = await AnswerStream.response(events, started: started) { summary in
            guard !summary.failed, !summary.originalAnswer.isEmpty else { return }
            // Before END_FLAG (AnswerStream): a client that saw END_FLAG finds this turn stored.
            await history.write(runtime, session: session, turn: [.init(role: "user", content: question),
                                                                   .init(role: "assistant", content: summary.originalAnswer)],
                                within: settings.historyTimeout, logger: context.logger)
        }
        if stored == nil { response.headers[.init("X-History")!] = "unavailable" }
        return response
    }

    func convertTone(_ request: Request, _ context: TonehostRequestContext) async throws -> Response {
        let started = ContinuousClock.now
        let body = try await request.decodeBody(ConvertToneRequest.self, context: context, limits: RequestLimits(runtime.settings))
        let events = runtime.pipeline.convertText(body.text, category: body.tone, userDescription: body.userDescription,
                                                  userMessage: body.userMessage,
                                                  generation: try await runtime.requireGeneration(), requestID: context.requestID,
                                                  timeout: runtime.settings.requestTimeout.map { $0 - (.now - started) })
        if body.stream { return await AnswerStream.response(events, started: started) { _ in } }
        var converted = ""
        var used = body.tone
        for await event in events {
            switch event {
            case .tone(let d): used = d.category
            case .text(let t): converted += t
            default: break
            }
        }
        return try ConvertToneResponse(originalText: body.text, convertedText: converted, tone: used, userDescription: body.userDescription)
            .response(from: request, context: context)
    }

    /// Through the active retriever's TONEHOST_EXT_RETRIEVER_ADMIN (the server never opens the store).
    func initialize() async throws -> EditedResponse<InitResponse> {
        let generation = try await runtime.requireGeneration()
        let outcome = await runtime.retrieverState.initialize(generation.retriever, logger: runtime.logger)
        if outcome.ready {
            return EditedResponse(response: InitResponse(success: true, ragInitialized: true, message: outcome.message))
        }
        // The plugin's reason may name files: the log has it (RetrieverState), the client a sentence.
        return EditedResponse(status: .internalServerError,
                              response: InitResponse(success: false, ragInitialized: false,
                                                     message: "knowledge base initialisation failed; the server log has the details"))
    }

    /// `embedding_model`: the embedder (when one is configured) and the retriever (its store or
    /// collection, the vector index); `llm_model`: the answering llm.
    func warmup() async throws -> WarmupResponse {
        let generation = try await runtime.requireGeneration()
        async let retriever = Self.warm(generation.retriever)
        async let embedder: WarmupStep? = { if let e = generation.embedder { return await Self.warm(e) } else { return nil } }()
        async let llm = Self.warm(generation.llm)
        let (r, e, l) = await (retriever, embedder, llm)
        guard let e else { return WarmupResponse(embeddingModel: r, llmModel: l) }
        let combined = WarmupStep(status: e.status == .error || r.status == .error ? .error : .success,
                                  message: e.message + "; " + r.message, timeMs: max(e.timeMs, r.timeMs))
        return WarmupResponse(embeddingModel: combined, llmModel: l)
    }

    static func warm(_ plugin: PluginInstance) async -> WarmupStep {
        let start = ContinuousClock.now
        func ms() -> Double {
            let d = ContinuousClock.now - start
            return (Double(d.components.seconds) * 1000 + Double(d.components.attoseconds) / 1e15).rounded()
        }
        do {
            guard let message = try await plugin.warmup(deadline: .seconds(120)) else {
                return WarmupStep(status: .skipped, message: "\(plugin.name) has no warm-up", timeMs: ms())
            }
            return WarmupStep(status: .success, message: "\(plugin.name): \(message)", timeMs: ms())
        } catch {
            return WarmupStep(status: .error, message: "\(error)", timeMs: ms())
        }
    }
}
