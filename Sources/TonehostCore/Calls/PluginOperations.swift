import CTonehostABI
import Foundation
@_exported import TonehostTypes

/// What a tone plugin is told about the text it converts: the segment (its fields read as
/// `input.text`, `input.isFinal` …) and the answer's stream state.
@dynamicMemberLookup
public struct ToneInput: Sendable {
    public var segment: ToneSegment
    /// The answer's stream state (`PluginInstance.beginToneStream`), nil outside an answer stream.
    public var stream: ToneStream?

    public init(_ segment: ToneSegment, stream: ToneStream? = nil) {
        self.segment = segment
        self.stream = stream
    }

    public init(text: String, userDescription: String, userMessage: String, language: String, firstMessage: Bool,
                segmentIndex: Int, isFinal: Bool, sessionID: String, stream: ToneStream? = nil) {
        self.init(ToneSegment(text: text, userDescription: userDescription, userMessage: userMessage, language: language,
                              firstMessage: firstMessage, segmentIndex: segmentIndex, isFinal: isFinal, sessionID: sessionID), stream: stream)
    }

    public subscript<T>(dynamicMember key: WritableKeyPath<ToneSegment, T>) -> T {
        get { segment[keyPath: key] }
        set { segment[keyPath: key] = newValue }
    }
}

/// A tone plugin's per-answer state (what its `tone_stream_begin` returned). `end()` hands it
/// back to the plugin once; dropping the handle ends it too.
public final class ToneStream: @unchecked Sendable {
    let pointer: UnsafeMutableRawPointer
    private let endFunction: () -> Void
    private let ended = Locked(false)

    init(pointer: UnsafeMutableRawPointer, end: @escaping () -> Void) {
        self.pointer = pointer
        self.endFunction = end
    }

    public func end() {
        guard ended.mutate({ e -> Bool in defer { e = true }; return !e }) else { return }
        endFunction()
    }

    deinit { end() }
}

/// What an LLM plugin is asked to generate (one type with the plugin kit's `LLMRequest`).
public typealias GenerationInput = LLMRequest


extension PluginInstance {
    private func size<T>(_: T.Type) -> UInt32 { UInt32(MemoryLayout<T>.size) }

    /// Describer: the visitor description for a session.
    public func describe(sessionID: String, imageBase64: String = "", deadline: Duration? = nil) async throws -> String {
        let out = Locked("")
        let op = descriptor.pointee.describe!
        let instance = self.instance
        try await invoke(deadline: self.deadline(deadline), onText: out.append) { call, api in
            let strings = CStrings()
            var request = tonehost_describe_request(struct_size: self.size(tonehost_describe_request.self),
                                                    session_id: strings.make(sessionID), image_base64: strings.make(imageBase64))
            return withExtendedLifetime(strings) { op(instance, &request, call, api) }
        }
        return out.value
    }

    /// Tone selector: a category name for a description.
    public func selectTone(description: String, language: String, categories: [String], deadline: Duration? = nil) async throws -> String {
        let out = Locked("")
        let op = descriptor.pointee.select_tone!
        let instance = self.instance
        try await invoke(deadline: self.deadline(deadline), onText: out.append) { call, api in
            let strings = CStrings()
            var list: [UnsafePointer<CChar>?] = categories.map { strings.make($0) }
            return list.withUnsafeMutableBufferPointer { buf in
                var request = tonehost_select_request(struct_size: self.size(tonehost_select_request.self),
                                                      user_description: strings.make(description), language: strings.make(language),
                                                      categories: buf.baseAddress, category_count: buf.count)
                return withExtendedLifetime(strings) { op(instance, &request, call, api) }
            }
        }
        return out.value.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// Tone: converts one text (or segment); chunks go to `onText` as the plugin emits them.
    public func convertTone(_ input: ToneInput, deadline: Duration? = nil, onText: @escaping @Sendable (String) -> Void) async throws {
        try await invoke(deadline: self.deadline(deadline), onText: onText, body: toneBody(input))
    }

    /// Tone, callback form (see `start`); nil when the call must wait for a `max_concurrency`
    /// slot (use the async form).
    func startConvertTone(_ input: ToneInput, deadline: Duration?, diagnostics: CallDiagnostics?, onText: @escaping (String) -> Void,
                          completion: @escaping (Result<Void, Error>) -> Void) -> CallContext? {
        guard startsWithoutWaiting else { return nil }
        let ctx = CallContext(deadline: self.deadline(deadline), onText: onText, diagnostics: diagnostics)
        start(ctx, body: toneBody(input), completion: completion)
        return ctx
    }

    private func toneBody(_ input: ToneInput) -> (OpaquePointer, UnsafePointer<tonehost_call_api>) -> Int32 {
        let op = descriptor.pointee.convert_tone!
        let instance = self.instance
        let size = self.size(tonehost_tone_request.self)
        return { call, api in
            let strings = CStrings()
            var request = tonehost_tone_request(
                struct_size: size, text: strings.make(input.text),
                user_description: strings.make(input.userDescription), user_msg: strings.make(input.userMessage),
                language: strings.make(input.language), first_message: input.firstMessage ? 1 : 0,
                segment_index: UInt32(input.segmentIndex), is_final: input.isFinal ? 1 : 0, session_id: strings.make(input.sessionID),
                stream: input.stream?.pointer)
            return withExtendedLifetime((strings, input.stream)) { op(instance, &request, call, api) }
        }
    }

    /// Whether the plugin keeps per-answer state (`tone_stream_begin`/`tone_stream_end`, read
    /// only when its descriptor is new enough to have them).
    public var hasToneStreams: Bool {
        let d = descriptor.pointee
        let needed = MemoryLayout<tonehost_plugin>.offset(of: \tonehost_plugin.tone_stream_end)! + MemoryLayout<UnsafeRawPointer>.size
        return kind == .tone && Int(d.struct_size) >= needed && d.tone_stream_begin != nil && d.tone_stream_end != nil
    }

    /// Starts an answer's stream state with its first segment; nil when the plugin keeps none.
    /// Runs on the compute pool (the ABI says begin must not block).
    public func beginToneStream(_ first: ToneInput) async -> ToneStream? {
        guard hasToneStreams else { return nil }
        return (try? await PluginThreadPool.compute.run { self.beginToneStreamHere(first) }) ?? nil
    }

    /// `beginToneStream` on the calling thread (which must be a host thread, never the
    /// cooperative pool).
    func beginToneStreamHere(_ first: ToneInput) -> ToneStream? {
        guard hasToneStreams else { return nil }
        let d = descriptor.pointee
        let begin = d.tone_stream_begin!, end = d.tone_stream_end!
        let instance = UnsafeMutableRawPointer(self.instance)
        let strings = CStrings()
        var request = tonehost_tone_request(
            struct_size: size(tonehost_tone_request.self), text: strings.make(first.text), user_description: strings.make(first.userDescription),
            user_msg: strings.make(first.userMessage), language: strings.make(first.language), first_message: first.firstMessage ? 1 : 0,
            segment_index: UInt32(first.segmentIndex), is_final: first.isFinal ? 1 : 0, session_id: strings.make(first.sessionID), stream: nil)
        guard let state = withExtendedLifetime(strings, { begin(instance, &request) }) else { return nil }
        // The instance stays alive until the stream ends (end runs on a host thread).
        return ToneStream(pointer: state) { [self] in
            let instance = self.instance
            PluginThreadPool.compute.submit { withExtendedLifetime(self) { end(instance, state) } }
        }
    }

    /// Tone, collected.
    public func convertTone(_ input: ToneInput, deadline: Duration? = nil) async throws -> String {
        let out = Locked("")
        try await convertTone(input, deadline: deadline, onText: { out.append($0) })
        return out.value
    }

    /// LLM: streams generated text to `onText`; returns when generation ends.
    public func generate(_ input: GenerationInput, deadline: Duration? = nil, onText: @escaping @Sendable (String) -> Void) async throws {
        let op = descriptor.pointee.generate!
        let instance = self.instance
        try await invoke(deadline: self.deadline(deadline), onText: onText) { call, api in
            let strings = CStrings()
            var messages = input.messages.map { tonehost_message(role: strings.make($0.role), content: strings.make($0.content)) }
            var passages = input.passages.map {
                tonehost_passage(struct_size: self.size(tonehost_passage.self), id: strings.make($0.id), title: strings.make($0.title),
                                 content: strings.make($0.content), source: strings.make($0.source),
                                 language: strings.make($0.language), score: $0.score)
            }
            return messages.withUnsafeMutableBufferPointer { m in
                passages.withUnsafeMutableBufferPointer { p in
                    var request = tonehost_llm_request(
                        struct_size: self.size(tonehost_llm_request.self), purpose: strings.make(input.purpose),
                        messages: UnsafePointer(m.baseAddress), message_count: m.count,
                        question: strings.make(input.question), language: strings.make(input.language),
                        passages: UnsafePointer(p.baseAddress), passage_count: p.count,
                        temperature: input.temperature ?? -1, max_tokens: Int32(input.maxTokens ?? 0),
                        message_stride: MemoryLayout<tonehost_message>.stride, passage_stride: MemoryLayout<tonehost_passage>.stride)
                    return withExtendedLifetime(strings) { op(instance, &request, call, api) }
                }
            }
        }
    }

    /// Retriever: up to `topK` passages, best first. `vector`: the query's embedding (with an
    /// embedder configured), handed over as `query_vector`.
    public func retrieve(query: String, language: String, topK: Int, vector: Embedding? = nil,
                         deadline: Duration? = nil) async throws -> [RetrievedPassage] {
        let out = Locked<[RetrievedPassage]>([])
        let op = descriptor.pointee.retrieve!
        let instance = self.instance
        try await invoke(deadline: self.deadline(deadline), onText: nil, onPassage: out.append) { call, api in
            let strings = CStrings()
            let values = vector?.values ?? []
            return values.withUnsafeBufferPointer { v in
                var request = tonehost_retrieve_request(struct_size: self.size(tonehost_retrieve_request.self),
                                                        query: strings.make(query), language: strings.make(language), top_k: UInt32(max(0, topK)),
                                                        query_vector: v.isEmpty ? nil : v.baseAddress, vector_dimension: UInt32(v.count),
                                                        vector_model: strings.make(vector?.model ?? ""))
                return withExtendedLifetime(strings) { op(instance, &request, call, api) }
            }
        }
        return Array(out.value.prefix(topK))
    }

    /// Embedder: one vector per text, in the order of `texts`, split into calls of at most the
    /// manifest's `batch_size` texts. Throws when the plugin leaves a text without a vector,
    /// mixes dimensions or names no model.
    public func embed(_ texts: [String], purpose: EmbeddingPurpose, deadline: Duration? = nil) async throws -> [Embedding] {
        guard kind == .embedder, let op = embedOperation else {
            throw PluginCallError(plugin: name, reason: .failed(status: TONEHOST_ERR_INVALID_ARGUMENT), message: "\(name) is not an embedder")
        }
        var result: [Embedding] = []
        result.reserveCapacity(texts.count)
        var start = 0
        while start < texts.count {
            let batch = Array(texts[start..<min(texts.count, start + manifest.batchSize)])
            result += try await embedBatch(batch, purpose: purpose, op: op, deadline: deadline)
            start += batch.count
        }
        return result
    }

    private var embedOperation: (@convention(c) (UnsafeMutableRawPointer?, UnsafePointer<tonehost_embed_request>?, OpaquePointer?, UnsafePointer<tonehost_call_api>?) -> tonehost_status)? {
        let d = descriptor.pointee
        let needed = MemoryLayout<tonehost_plugin>.offset(of: \tonehost_plugin.embed)! + MemoryLayout<UnsafeRawPointer>.size
        return Int(d.struct_size) >= needed ? d.embed : nil
    }

    private func embedBatch(_ texts: [String], purpose: EmbeddingPurpose,
                            op: @escaping @convention(c) (UnsafeMutableRawPointer?, UnsafePointer<tonehost_embed_request>?, OpaquePointer?, UnsafePointer<tonehost_call_api>?) -> tonehost_status,
                            deadline: Duration?) async throws -> [Embedding] {
        final class Collected: @unchecked Sendable {
            let lock = NSLock()
            var vectors: [[Float]?]
            var model = ""
            var problem: String?
            init(_ n: Int) { vectors = Array(repeating: nil, count: n) }
            func result() -> (vectors: [[Float]?], model: String, problem: String?) {
                lock.lock()
                defer { lock.unlock() }
                return (vectors, model, problem)
            }
        }
        let collected = Collected(texts.count)
        let instance = self.instance
        try await invoke(deadline: self.deadline(deadline), onText: { text in
            collected.lock.lock(); collected.model += text; collected.lock.unlock()
        }, onVector: { index, values in
            collected.lock.lock()
            defer { collected.lock.unlock() }
            if index < 0 || index >= collected.vectors.count {
                collected.problem = collected.problem ?? "vector index \(index) is outside the \(collected.vectors.count) texts of the batch"
            } else if collected.vectors[index] != nil {
                collected.problem = collected.problem ?? "text \(index) got two vectors"
            } else {
                collected.vectors[index] = Array(values)
            }
        }) { call, api in
            let strings = CStrings()
            var list: [UnsafePointer<CChar>?] = texts.map { strings.make($0) }
            return list.withUnsafeMutableBufferPointer { buf in
                var request = tonehost_embed_request(struct_size: self.size(tonehost_embed_request.self), purpose: strings.make(purpose.rawValue),
                                                     texts: UnsafePointer(buf.baseAddress), text_count: buf.count)
                return withExtendedLifetime(strings) { op(instance, &request, call, api) }
            }
        }
        let (vectors, rawModel, problem) = collected.result()
        func bad(_ why: String) -> PluginCallError {
            PluginCallError(plugin: name, reason: .failed(status: TONEHOST_ERR_BAD_RESPONSE), message: why)
        }
        if let problem { throw bad(problem) }
        let model = rawModel.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !model.isEmpty else { throw bad("the embedder named no model (it must emit the model's identity once per call)") }
        var out: [Embedding] = []
        for (i, v) in vectors.enumerated() {
            guard let v, !v.isEmpty else { throw bad("text \(i) of \(texts.count) got no vector") }
            if let first = out.first, first.values.count != v.count {
                throw bad("vectors of one batch differ in dimension: \(first.values.count) and \(v.count)")
            }
            out.append(Embedding(model: model, values: v))
        }
        return out
    }

    /// TONEHOST_EXT_RETRIEVER_ADMIN: the retriever's state (`initialize: false`) or its
    /// (re)initialisation, as (ready, message). Retrievers without the extension are ready.
    public func retrieverAdmin(initialize: Bool, deadline: Duration? = .seconds(120)) async -> (ready: Bool, message: String) {
        let instance = self.instance
        guard let get = descriptor.pointee.get_extension,
              let raw = TONEHOST_EXT_RETRIEVER_ADMIN.withCString({ get(instance, $0) }) else {
            return (true, "\(name) has no initialisation step")
        }
        let ext = raw.assumingMemoryBound(to: tonehost_retriever_admin_ext.self)
        guard ext.pointee.struct_size >= UInt32(MemoryLayout<tonehost_retriever_admin_ext>.size),
              let op = initialize ? ext.pointee.initialize : ext.pointee.status else {
            return (true, "\(name) has no initialisation step")
        }
        let out = Locked("")
        do {
            try await invoke(deadline: deadline, onText: out.append, mayBlock: true) { call, api in op(instance, call, api) }
            return (true, out.value.trimmingCharacters(in: .whitespacesAndNewlines))
        } catch {
            return (false, "\(error)")
        }
    }

    /// Warm-up, when the plugin offers one; nil when it does not.
    public func warmup(deadline: Duration? = nil) async throws -> String? {
        guard let op = descriptor.pointee.warmup else { return nil }
        let out = Locked("")
        let instance = self.instance
        try await invoke(deadline: self.deadline(deadline), onText: out.append, mayBlock: true) { call, api in op(instance, call, api) }
        return out.value
    }
}


extension PluginInstance {
    /// Describers offering TONEHOST_EXT_DESCRIPTION_POOL: their whole pool; nil otherwise.
    public func descriptionPool(deadline: Duration? = .seconds(5)) async throws -> [String]? {
        let instance = self.instance
        guard let get = descriptor.pointee.get_extension,
              let raw = TONEHOST_EXT_DESCRIPTION_POOL.withCString({ get(instance, $0) }) else { return nil }
        let ext = raw.assumingMemoryBound(to: tonehost_description_pool_ext.self)
        guard ext.pointee.struct_size >= UInt32(MemoryLayout<tonehost_description_pool_ext>.size), let list = ext.pointee.list else {
            return nil
        }
        let items = Locked<[String]>([])
        try await invoke(deadline: deadline, onText: items.append) { call, api in list(instance, call, api) }
        return items.value
    }
}
