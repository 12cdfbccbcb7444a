import Foundation
import Logging
import Tracing
import TonehostText

/// The request path of MISSION §3, independent of HTTP:
///
///     describer (deadline)  ∥  retrieve → generate (streaming)
///     then tone = selector(description) → tone plugin converts (sentence by sentence when it can)
///
/// Every plugin call runs on the host's plugin threads; this type only awaits.
public struct Pipeline: Sendable {
    public static let defaultTone = "casual_friendly"

    public var settings: PipelineSettings
    public var logger: Logger
    /// Descriptions reused per session (`description_cache_seconds`); the host runtime owns one
    /// and hands it to every pipeline it builds, so a reload keeps it.
    public var descriptionCache: DescriptionCache

    public init(settings: PipelineSettings = PipelineSettings(), logger: Logger = Logger(label: "tonehost.pipeline"),
                descriptionCache: DescriptionCache = DescriptionCache()) {
        self.settings = settings
        self.logger = logger
        self.descriptionCache = descriptionCache
    }

    /// Runs one request against `generation`. Cancelling the consumer (dropping the stream)
    /// cancels the remaining work, including plugin calls in flight.
    /// Past `timeout` the stream ends with `.timedOut` and the remaining work is cancelled.
    public func run(_ request: PipelineRequest, generation: PluginGeneration, requestID: String = Pipeline.newRequestID(),
                    timeout: Duration? = nil) -> PipelineEvents {
        var logger = self.logger
        logger[metadataKey: "request"] = .string(requestID)
        let run = PipelineRun(request: request, generation: generation, settings: settings, logger: logger, descriptionCache: descriptionCache)
        return Self.events(timeout: timeout) { await run.execute($0) }
    }

    /// The events `body` yields, in a stream that ends when `body` returns, when the consumer drops
    /// it (cancelling `body`), or at `timeout` with `.timedOut` (also cancelling `body`). The
    /// timer yields into the same stream: no task stands between the pipeline and its consumer.
    static func events(timeout: Duration?, _ body: @escaping @Sendable (PipelineOutput) async -> Void) -> PipelineEvents {
        PipelineEvents { continuation in
            let task = Task {
                await body(continuation)
                continuation.finish()
            }
            let timer = timeout.map { limit in
                OneShotTimer(after: limit) {
                    continuation.yield(.timedOut)
                    continuation.finish()
                }
            }
            continuation.onTermination = {
                timer?.cancel()
                task.cancel()
            }
        }
    }

    /// What a question is retrieved by without a rewrite: the question without the visitor's
    /// chit-chat, lead-ins and politeness ("嗯！很厲害。然後…院長是誰啊？" → "院長是誰"), which would
    /// otherwise match passages of their own, and without the question words that only say what
    /// kind of answer is wanted ("工研院在哪裡" → "工研院 ": `QuestionFocus.retrievalQuery`).
    public static func retrievalQuery(for question: String) -> String { QuestionFocus.retrievalQuery(question) }

    /// Eight lowercase hex digits from the system's generator (`getrandom`: no file opened per
    /// request, as `UUID()` does on Linux).
    public static func newRequestID() -> String {
        var g = SystemRandomNumberGenerator()
        let value = UInt32.random(in: .min ... .max, using: &g)
        let hex = String(value, radix: 16)
        return String(repeating: "0", count: 8 - hex.utf8.count) + hex
    }
}

/// One execution of the pipeline.
struct PipelineRun: Sendable {
    let request: PipelineRequest
    let generation: PluginGeneration
    let settings: PipelineSettings
    let logger: Logger
    let descriptionCache: DescriptionCache
    let failures = PluginFailureLog()

    /// Seconds per stage, recorded from any task.
    /// Each stage is also a span (`tonehost.<stage>`) of the tracer the process bootstrapped
    /// (none by default: then a span costs nothing), a child of the request's span.
    private struct Timings: Sendable {
        private let values = Locked<[String: Double]>([:])
        func record(_ key: String, since start: ContinuousClock.Instant) {
            let d = ContinuousClock.now - start
            let s = Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18
            values.mutate { $0[key] = s }
            let ended = DefaultTracerClock.now
            let began = DefaultTracerClock.Timestamp(nanosecondsSinceEpoch: ended.nanosecondsSinceEpoch &- UInt64(max(0, s * 1e9)))
            let span = InstrumentationSystem.tracer.startSpan("tonehost.\(key)", context: ServiceContext.current ?? .topLevel,
                                                               ofKind: .internal, at: began)
            span.end(at: ended)
        }
        var all: [String: Double] { values.value }
    }

    func execute(_ out: PipelineOutput) async {
        let started = ContinuousClock.now
        let timings = Timings()
        let language = LanguageDetector.answerLanguage(for: request.question)

        guard request.convertTone else {
            // No tone to pick: the answer goes from the llm's callback straight to the consumer
            // (no buffer and no task between them: one wake-up per batch the consumer takes,
            // not one per token).
            let original = Locked("")
            var failure: PipelineFailure?
            do {
                try await answer(language: language, timings: timings) { chunk in
                    original.append(chunk)
                    out.yield(.text(chunk))
                }
            } catch {
                failure = PipelineFailure(error)
                failures.record(error)
            }
            conclude(out, original: original.value, decision: nil, failure: failure, timings: timings, started: started)
            return
        }

        // Branch B: the answer, streamed into a buffer so generation never waits for us.
        let (answer, answerSink) = AsyncThrowingStream<String, Error>.makeStream()
        let answerTask = Task {
            do {
                try await self.answer(language: language, timings: timings) { answerSink.yield($0) }
                answerSink.finish()
            } catch {
                answerSink.finish(throwing: error)
            }
        }

        // Branch A: the visitor description (only needed to pick a tone).
        let descriptionTask: Task<(String, ToneDecision.DescriptionSource, ToneFallback?), Never>? =
            request.convertTone ? Task { await describe(timings: timings) } : nil

        defer {
            answerTask.cancel()
            descriptionTask?.cancel()
        }
        await withTaskCancellationHandler {
            await finish(out, answer: answer, descriptionTask: descriptionTask, language: language, timings: timings, started: started)
        } onCancel: {
            answerTask.cancel()
            descriptionTask?.cancel()
        }
    }

    private func finish(_ out: PipelineOutput, answer: AsyncThrowingStream<String, Error>,
                        descriptionTask: Task<(String, ToneDecision.DescriptionSource, ToneFallback?), Never>?,
                        language: Language, timings: Timings, started: ContinuousClock.Instant) async {

        var decision: ToneDecision?
        var tone: PluginInstance?
        if let descriptionTask {
            let (description, source, describeFallback) = await descriptionTask.value
            let t0 = ContinuousClock.now
            var d: ToneDecision
            if let forced = request.tone, generation.tones[forced] != nil {
                d = ToneDecision(category: forced, userDescription: description, descriptionSource: source)
            } else {
                d = await selectTone(description: description, language: language)
            }
            d.descriptionSource = source
            if d.fallback == nil { d.fallback = describeFallback }
            tone = generation.tones[d.category] ?? generation.tones[Pipeline.defaultTone]
            if tone == nil {
                logger.warning("no tone plugin for category; answer passes through unconverted", metadata: ["tone": "\(d.category)"])
            }
            timings.record("selection", since: t0)
            decision = d
            logger.info("tone selected", metadata: ["tone": "\(d.category)", "description_source": "\(source.rawValue)",
                                                    "fallback": "\(d.fallbackReason ?? "none")"])
            out.yield(.tone(d))
        }

        var original = ""
        var failure: PipelineFailure?
        let toneStart = ContinuousClock.now
        if let tone, let decision {
            let converter = ToneStreamConverter(tone: tone, request: request, language: language, decision: decision,
                                                deadline: settings.toneDeadline, logger: logger, out: out, failures: failures)
            var splitter = SentenceSplitter()
            do {
                if tone.streamsTone {
                    for try await chunk in answer {
                        original += chunk
                        for sentence in splitter.push(chunk) { await converter.convert(sentence, isFinal: false) }
                    }
                    await converter.convert(splitter.finish(), isFinal: true)
                } else {
                    for try await chunk in answer { original += chunk }
                    await converter.convert(original, isFinal: true)
                }
            } catch {
                failure = PipelineFailure(error)
                failures.record(error)
                // Keep what was generated before the failure: convert the unfinished part too, but
                // not as the final segment — a truncated answer gets no closing line before its `ERROR:`.
                let rest = tone.streamsTone ? splitter.finish() : original
                if !rest.isEmpty && !Task.isCancelled { await converter.convert(rest, isFinal: false) }
            }
            converter.end()
            timings.record("tone", since: toneStart)
        } else {
            do {
                for try await chunk in answer {
                    original += chunk
                    out.yield(.text(chunk))
                }
            } catch {
                failure = PipelineFailure(error)
                failures.record(error)
            }
        }

        conclude(out, original: original, decision: decision, failure: failure, timings: timings, started: started)
    }

    /// The end of every answer: its failure (if any), then the summary.
    private func conclude(_ out: PipelineOutput, original: String, decision: ToneDecision?, failure: PipelineFailure?,
                          timings: Timings, started: ContinuousClock.Instant) {
        if let failure {
            logger.error("answer failed", metadata: ["error": "\(failure)"])
            out.yield(.failure(failure))
        }
        timings.record("total", since: started)
        out.yield(.finished(PipelineSummary(originalAnswer: original, tone: decision, failed: failure != nil, timings: timings.all,
                                            pluginFailures: failures.all)))
    }

    /// Retrieval (with the rewrite or translation of the query when configured), then the
    /// answer streamed to `emit`.
    private func answer(language: Language, timings: Timings, emit: @escaping @Sendable (String) -> Void) async throws {
        let query = await retrievalQuery(language: language, timings: timings)
        var queries = [(text: query.lexical, semantic: query.natural, language: language)]
        if let translated = await translatedQuery(query.natural, language: language, timings: timings) {
            queries.append((text: translated.text, semantic: translated.text, language: translated.language))
        }
        let t0 = ContinuousClock.now
        let passages = try await retrieve(queries)
        timings.record("retrieval", since: t0)
        logger.debug("retrieved", metadata: ["passages": "\(passages.count)"])
        let t1 = ContinuousClock.now
        let input = GenerationInput(
            purpose: "answer",
            messages: PromptBuilder.answerMessages(question: request.question, language: language, passages: passages,
                                                   history: request.history),
            question: request.question, language: language.rawValue, passages: passages)
        try await generate(input, emit: emit)
        timings.record("generation", since: t1)
    }

    /// Streams the answer from the llm; when it fails before its first token and a fallback
    /// answerer is loaded, the fallback answers instead (a failure mid-stream is reported).
    private func generate(_ input: GenerationInput, emit: @escaping @Sendable (String) -> Void) async throws {
        let started = Locked(false)
        do {
            try await generation.llm.generate(input, deadline: settings.generationDeadline) { text in
                if !text.isEmpty { started.mutate { $0 = true } }
                emit(text)
            }
        } catch {
            guard let fallback = generation.fallbackLLM, !started.value, !Task.isCancelled else { throw error }
            failures.record(error)
            logger.warning("llm failed before answering; the fallback answers", metadata: ["error": "\(error)", "fallback": "\(fallback.name)"])
            try await fallback.generate(input, deadline: settings.generationDeadline, onText: emit)
        }
    }


    /// The query retrieval uses: a follow-up question rewritten into a standalone one by the
    /// llm with role "rewrite" when there is history; the question's focus otherwise
    /// (`Pipeline.retrievalQuery(for:)`) or the question when the rewrite fails or times out.
    /// `lexical` is what the words are searched with; `natural` is the question as a sentence,
    /// what an embedder is given (a dense model reads questions, not keyword lists).
    private func retrievalQuery(language: Language, timings: Timings) async -> (lexical: String, natural: String) {
        guard let rewriter = generation.rewriter, !request.history.isEmpty else {
            return (Pipeline.retrievalQuery(for: request.question), request.question)
        }
        let t0 = ContinuousClock.now
        defer { timings.record("rewrite", since: t0) }
        let collected = Locked("")
        do {
            let input = GenerationInput(
                purpose: "rewrite",
                messages: PromptBuilder.rewriteMessages(question: request.question, language: language, history: request.history),
                question: request.question, language: language.rawValue, passages: [], temperature: 0, maxTokens: 96)
            try await rewriter.generate(input, deadline: settings.rewriteDeadline) { collected.append($0) }
            let rewritten = PromptBuilder.cleanRewrite(collected.value)
            guard !rewritten.isEmpty else { return (request.question, request.question) }
            logger.debug("query rewritten", metadata: ["query": "\(rewritten)"])
            return (rewritten, rewritten)
        } catch {
            failures.record(error)
            logger.warning("query rewrite failed; retrieving with the question as asked", metadata: ["error": "\(error)"])
            return (request.question, request.question)
        }
    }


    /// Retrieves every query (with its embedding when an embedder is configured) and fuses the
    /// lists by reciprocal rank when there are several. An embedder failure costs the vectors,
    /// not the answer: retrieval goes on lexically.
    private func retrieve(_ queries: [(text: String, semantic: String, language: Language)]) async throws -> [RetrievedPassage] {
        var vectors: [Embedding?] = Array(repeating: nil, count: queries.count)
        if let embedder = generation.embedder {
            do {
                let embedded = try await embedder.embed(queries.map(\.semantic), purpose: .query, deadline: settings.retrievalDeadline)
                vectors = embedded.map { $0 }
            } catch {
                failures.record(error)
                logger.warning("query embedding failed; retrieving lexically", metadata: ["error": "\(error)"])
            }
        }
        let retriever = generation.retriever
        let topK = settings.topK, deadline = settings.retrievalDeadline
        if queries.count == 1 {
            return try await retriever.retrieve(query: queries[0].text, language: queries[0].language.rawValue, topK: topK,
                                                vector: vectors[0], deadline: deadline)
        }
        let lists = try await withThrowingTaskGroup(of: (Int, [RetrievedPassage]).self) { group in
            for (i, q) in queries.enumerated() {
                let vector = vectors[i]
                group.addTask { (i, try await retriever.retrieve(query: q.text, language: q.language.rawValue, topK: topK, vector: vector, deadline: deadline)) }
            }
            var out = Array(repeating: [RetrievedPassage](), count: queries.count)
            for try await (i, list) in group { out[i] = list }
            return out
        }
        return RankFusion.reciprocal(lists, topK: topK)
    }

    /// The query in the knowledge base's language, when the question is in another one and a
    /// rewrite llm is configured; nil otherwise (or when the translation fails).
    private func translatedQuery(_ query: String, language: Language, timings: Timings) async -> (text: String, language: Language)? {
        guard let target = settings.knowledgeLanguage, target != language, let rewriter = generation.rewriter else { return nil }
        let t0 = ContinuousClock.now
        defer { timings.record("translation", since: t0) }
        let collected = Locked("")
        do {
            let input = GenerationInput(
                purpose: "rewrite", messages: PromptBuilder.translateMessages(query: query, into: target),
                question: query, language: target.rawValue, passages: [], temperature: 0, maxTokens: 96)
            try await rewriter.generate(input, deadline: settings.rewriteDeadline) { collected.append($0) }
            let translated = PromptBuilder.cleanRewrite(collected.value)
            guard !translated.isEmpty else { return nil }
            logger.debug("query translated", metadata: ["query": "\(translated)", "language": "\(target.rawValue)"])
            return (translated, target)
        } catch {
            failures.record(error)
            logger.warning("query translation failed; retrieving in the question's language only", metadata: ["error": "\(error)"])
            return nil
        }
    }

    /// The description: the client's, else the describer's within its deadline, else "".
    private func describe(timings: Timings) async -> (String, ToneDecision.DescriptionSource, ToneFallback?) {
        if let given = request.userDescription?.trimmingWhitespace(), !given.isEmpty {
            return (given, .client, nil)
        }
        guard let describer = generation.describer else { return ("", .none, .noDescriber) }
        if let ttl = settings.descriptionCacheTTL, let cached = await descriptionCache.lookup(request.sessionID, ttl: ttl) {
            return (cached, .cache, nil)
        }
        let t0 = ContinuousClock.now
        defer { timings.record("description", since: t0) }
        do {
            let deadline = describer.manifest.deadlineMilliseconds.map { Duration.milliseconds($0) } ?? settings.describerDeadline
            let text = try await describer.describe(sessionID: request.sessionID, imageBase64: request.imageBase64, deadline: deadline)
                .trimmingWhitespace()
            if !text.isEmpty, settings.descriptionCacheTTL != nil { descriptionCache.store(request.sessionID, text) }
            return (text, text.isEmpty ? .none : .describer, text.isEmpty ? .emptyDescription : nil)
        } catch {
            failures.record(error)
            let failure = PipelineFailure(error)
            logger.warning("describer failed; using no description", metadata: ["error": "\(failure)"])
            return ("", .none, .describerFailed(failure))
        }
    }

    /// The tone category: selector(description); empty, failed or unknown → casual_friendly.
    private func selectTone(description: String, language: Language) async -> ToneDecision {
        var d = ToneDecision(category: Pipeline.defaultTone, userDescription: description, descriptionSource: .none)
        guard !description.isEmpty else { return d }
        guard let selector = generation.toneSelector else {
            d.fallback = .noSelector
            return d
        }
        do {
            let deadline = selector.manifest.deadlineMilliseconds.map { Duration.milliseconds($0) } ?? settings.selectorDeadline
            let choice = try await selector.selectTone(description: description, language: language.rawValue,
                                                       categories: generation.toneCategories, deadline: deadline)
            if generation.tones[choice] != nil {
                d.category = choice
            } else {
                d.fallback = .unknownCategory(String(choice.prefix(80)))
                logger.warning("tone selector gave an unknown category", metadata: ["answer": "\(choice.prefix(80))"])
            }
        } catch {
            failures.record(error)
            d.fallback = .selectorFailed(PipelineFailure(error))
            logger.warning("tone selector failed", metadata: ["error": "\(error)"])
        }
        return d
    }
}

extension Pipeline {
    /// Converts a given text with one tone plugin (the convert-tone endpoint): `.tone`, the
    /// converted `.text` chunks (sentence by sentence when the plugin streams), `.finished`.
    public func convertText(_ text: String, category: String, userDescription: String, userMessage: String,
                            generation: PluginGeneration, requestID: String = Pipeline.newRequestID(),
                            timeout: Duration? = nil) -> PipelineEvents {
        var requestLogger = self.logger
        requestLogger[metadataKey: "request"] = .string(requestID)
        let logger = requestLogger, settings = self.settings
        return Self.events(timeout: timeout) { out in
                let chosen = generation.tones[category] != nil ? category : Pipeline.defaultTone
                let decision = ToneDecision(category: chosen, userDescription: userDescription,
                                            descriptionSource: userDescription.isEmpty ? .none : .client,
                                            fallback: chosen == category ? nil : .noTonePlugin(category))
                out.yield(.tone(decision))
                let language = LanguageDetector.detect(text)
                if let tone = generation.tones[chosen] {
                    let request = PipelineRequest(question: userMessage, userDescription: userDescription, firstMessage: false)
                    let converter = ToneStreamConverter(tone: tone, request: request, language: language, decision: decision,
                                                        deadline: settings.toneDeadline, logger: logger, out: out)
                    if tone.streamsTone {
                        for sentence in SentenceSplitter.split(text) { await converter.convert(sentence, isFinal: false) }
                        await converter.convert("", isFinal: true)
                    } else {
                        await converter.convert(text, isFinal: true)
                    }
                    converter.end()
                } else {
                    logger.warning("no tone plugin loaded; text passes through", metadata: ["tone": "\(category)"])
                    out.yield(.text(text))
                }
                out.yield(.finished(PipelineSummary(originalAnswer: text, tone: decision, failed: false, timings: [:])))
        }
    }
}
