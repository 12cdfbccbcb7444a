import Foundation
import Hummingbird
import KnowledgeStore
import SessionStore
import TonehostCore

/// The original `/api/rag-llm/*` API, kept field for field (MISSION §5).
struct RAGRoutes {
    let runtime: HostRuntime
    let knowledgeBase: KnowledgeBaseStatus
    /// Questions per session_id (settings.rateLimitPerSession).
    let sessionLimiter: ClusterRateLimit

    /// `api` is the `/api/rag-llm` group (with the API's access policy); `/health` stays open.
    func register(on api: RouterGroup<TonehostRequestContext>, root router: Router<TonehostRequestContext>) {
        api.post("query") { request, context in try await query(request, context, convertToneDefault: false) }
        api.post("query-with-tone") { request, context in try await query(request, context, convertToneDefault: true) }
        api.post("convert-tone") { request, context in try await convertTone(request, context) }
        api.post("init") { _, _ in try await initialize() }
        api.post("warmup") { _, _ in try await warmup() }
        router.get("health") { _, _ in HealthResponse(ragInitialized: knowledgeBase.initialized) }
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
        let events = runtime.pipeline.run(pipelineRequest, generation: generation, requestID: context.requestID)
        var response = await AnswerStream.response(events, timeout: settings.requestTimeout, started: started) { summary in
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
                                                  generation: try await runtime.requireGeneration(), requestID: context.requestID)
        if body.stream { return await AnswerStream.response(events, timeout: runtime.settings.requestTimeout, started: started) { _ in } }
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

    func initialize() async throws -> EditedResponse<InitResponse> {
        do {
            let count = try await runtime.blocking { try knowledgeBase.initialize() }
            return EditedResponse(response: InitResponse(success: true, ragInitialized: true, message: "knowledge base ready with \(count) passages"))
        } catch {
            // The error names the database file: the log gets it, the client a reason without it.
            runtime.logger.error("knowledge base initialisation failed", metadata: ["error": "\(error)"])
            return EditedResponse(status: .internalServerError,
                                  response: InitResponse(success: false, ragInitialized: false,
                                                         message: "knowledge base initialisation failed; the server log has the details"))
        }
    }

    func warmup() async throws -> WarmupResponse {
        let generation = try await runtime.requireGeneration()
        async let retriever = Self.warm(generation.retriever)
        async let llm = Self.warm(generation.llm)
        let (r, l) = await (retriever, llm)
        return WarmupResponse(embeddingModel: r, llmModel: l)
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

/// Whether the knowledge base holds passages (`rag_initialized`), and (re)initialising it.
final class KnowledgeBaseStatus: @unchecked Sendable {
    let path: String
    private let lock = NSLock()
    private var ready = false

    init(path: String) { self.path = path }

    var initialized: Bool {
        lock.lock()
        defer { lock.unlock() }
        return ready
    }

    /// Opens the store, ingests the bundled sample if it is empty, returns the passage count.
    func initialize() throws -> Int {
        let store = try KnowledgeStore(path: path)
        _ = try store.seedSampleIfEmpty()
        let count = try store.passageCount()
        lock.lock()
        ready = count > 0
        lock.unlock()
        return count
    }
}
