/// Implement one of these in a Swift plugin and export it with `PluginExport`.
/// Methods run on host-owned worker threads and may block; they may be called concurrently
/// unless the plugin was exported with `serialized: true`.
public protocol DescriberPlugin: AnyObject {
    /// Returns the visitor description ("" when nobody is visible).
    func describe(_ request: DescribeRequest, sink: CallSink) throws -> String
    /// Simulators: the whole pool (offered as TONEHOST_EXT_DESCRIPTION_POOL); nil otherwise.
    var descriptionPool: [String]? { get }
}

extension DescriberPlugin {
    public var descriptionPool: [String]? { nil }
}

public protocol ToneSelectorPlugin: AnyObject {
    /// Returns one of `request.categories`.
    func select(_ request: SelectRequest, sink: CallSink) throws -> String
}

public protocol TonePlugin: AnyObject {
    /// Emits the converted text through `sink` (in one or several chunks).
    func convert(_ request: ToneRequest, sink: CallSink) throws
    /// Per-answer state for streaming tones: called before the first segment of each answer;
    /// what it returns comes back as `request.stream` with every segment of that answer and is
    /// released after the last one. Must not block. Default: none.
    func beginAnswer(_ first: ToneRequest) -> AnyObject?
}

extension TonePlugin {
    public func beginAnswer(_ first: ToneRequest) -> AnyObject? { nil }
}

public protocol LLMPlugin: AnyObject {
    /// Streams the generated text through `sink`.
    func generate(_ request: LLMRequest, sink: CallSink) throws
    /// Optional warm-up; returns a line saying what was warmed.
    func warmup(sink: CallSink) throws -> String
}

extension LLMPlugin {
    public func warmup(sink: CallSink) throws -> String { "nothing to warm" }
}

public protocol RetrieverPlugin: AnyObject {
    /// Emits up to `request.topK` passages, best first, through `sink.emit(passage:)`.
    func retrieve(_ request: RetrieveRequest, sink: CallSink) throws
    func warmup(sink: CallSink) throws -> String
}

extension RetrieverPlugin {
    public func warmup(sink: CallSink) throws -> String { "nothing to warm" }
}

/// A describer that answers asynchronously (TONEHOST_PENDING): `describe` must return at once
/// and call `completion` exactly once, from any thread. No host thread waits meanwhile.
public protocol AsyncDescriberPlugin: AnyObject {
    func describe(_ request: DescribeRequest, sink: CallSink, completion: @escaping (Result<String, PluginError>) -> Void)
}

/// An LLM that streams asynchronously (TONEHOST_PENDING): `generate` returns at once, emits
/// through `sink` from any thread, and calls `completion` exactly once.
public protocol AsyncLLMPlugin: AnyObject {
    func generate(_ request: LLMRequest, sink: CallSink, completion: @escaping (Result<Void, PluginError>) -> Void)
    /// Blocking is allowed here (warm-up runs on a host thread).
    func warmup(sink: CallSink) throws -> String
}

/// A tone selector that answers asynchronously (TONEHOST_PENDING) — typically one that asks
/// the host's LLM with `HostServices.startChat`: `select` returns at once and calls
/// `completion` exactly once, from any thread, with the chosen category. No thread waits.
public protocol AsyncToneSelectorPlugin: AnyObject {
    func select(_ request: SelectRequest, sink: CallSink, completion: @escaping (Result<String, PluginError>) -> Void)
}

/// A tone that converts asynchronously (TONEHOST_PENDING): `convert` returns at once, emits the
/// converted text through `sink` from any thread, and calls `completion` exactly once.
/// `beginAnswer` works as for `TonePlugin` (state for the answer's segments, when streaming).
public protocol AsyncTonePlugin: AnyObject {
    func convert(_ request: ToneRequest, sink: CallSink, completion: @escaping (Result<Void, PluginError>) -> Void)
    func beginAnswer(_ first: ToneRequest) -> AnyObject?
}

extension AsyncTonePlugin {
    public func beginAnswer(_ first: ToneRequest) -> AnyObject? { nil }
}

/// A retriever that answers asynchronously (TONEHOST_PENDING): `retrieve` returns at once,
/// emits passages through `sink` from any thread, and calls `completion` exactly once.
public protocol AsyncRetrieverPlugin: AnyObject {
    func retrieve(_ request: RetrieveRequest, sink: CallSink, completion: @escaping (Result<Void, PluginError>) -> Void)
    /// Blocking is allowed here (warm-up runs on a host thread).
    func warmup(sink: CallSink) throws -> String
}

extension AsyncRetrieverPlugin {
    public func warmup(sink: CallSink) throws -> String { "nothing to warm" }
}

/// Retrievers owning a store implement this to serve TONEHOST_EXT_RETRIEVER_ADMIN (the host's
/// `/api/rag-llm/init` and `rag_initialized`). Both may block. Return one line for the
/// operator; throw when the retriever cannot answer questions.
public protocol RetrieverAdministration: AnyObject {
    func status(sink: CallSink) throws -> String
    func initialize(sink: CallSink) throws -> String
}

/// An embedder: one vector per text, all of one dimension, plus the model's identity
/// ("ollama:bge-m3"), which stores record to tell vectors of different models apart.
public protocol EmbedderPlugin: AnyObject {
    func embed(_ request: EmbedRequest, sink: CallSink) throws -> (model: String, vectors: [[Float]])
    func warmup(sink: CallSink) throws -> String
}

extension EmbedderPlugin {
    public func warmup(sink: CallSink) throws -> String { "nothing to warm" }
}

/// An embedder answering asynchronously (TONEHOST_PENDING): `embed` returns at once and calls
/// `completion` exactly once, from any thread.
public protocol AsyncEmbedderPlugin: AnyObject {
    func embed(_ request: EmbedRequest, sink: CallSink, completion: @escaping (Result<(model: String, vectors: [[Float]]), PluginError>) -> Void)
    /// Blocking is allowed here (warm-up runs on a host thread).
    func warmup(sink: CallSink) throws -> String
}
