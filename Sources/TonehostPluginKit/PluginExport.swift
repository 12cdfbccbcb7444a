import CTonehostABI
import Foundation

/// Builds the static `tonehost_plugin` descriptor for a Swift plugin. Use it from the plugin's
/// entry point:
///
///     private let plugin = PluginExport.tone(id: "org.example.tone.teen", category: "teen_friendly",
///                                            description: "…") { host, config in try TeenTone(host, config) }
///     @_cdecl("tonehost_plugin_entry") public func entry() -> UnsafeRawPointer { plugin.descriptor }
///
/// The library must also link `CTonehostPluginSymbols`, which exports `tonehost_plugin_abi_version`.
public final class PluginExport: @unchecked Sendable {
    public typealias Factory = (HostServices, PluginConfig) throws -> AnyObject

    public let descriptor: UnsafeRawPointer
    let factory: Factory

    /// `asynchronous`: the kind's operation is the thunk that only starts the work and returns
    /// (the plugin implements the kind's Async protocol; nothing blocks a host thread).
    private init(kind: tonehost_kind, id: String, version: String, description: String, flags: UInt32,
                 toneCategory: String? = nil, asynchronous: Bool = false, factory: @escaping Factory) {
        self.factory = factory
        let d = UnsafeMutablePointer<tonehost_plugin>.allocate(capacity: 1)  // lives for the process
        d.initialize(to: tonehost_plugin())
        d.pointee.abi_version = TONEHOST_ABI_VERSION
        d.pointee.struct_size = UInt32(MemoryLayout<tonehost_plugin>.size)
        d.pointee.id = UnsafePointer(strdup(id))
        d.pointee.version = UnsafePointer(strdup(version))
        d.pointee.description = UnsafePointer(strdup(description))
        d.pointee.kind = kind
        d.pointee.flags = flags
        d.pointee.tone_category = toneCategory.map { UnsafePointer(strdup($0)) } ?? nil
        d.pointee.get_extension = pluginGetExtension
        d.pointee.create = pluginCreate
        d.pointee.destroy = pluginDestroy
        switch kind {
        case TONEHOST_KIND_DESCRIBER: d.pointee.describe = asynchronous ? pluginDescribeAsync : pluginDescribe
        case TONEHOST_KIND_TONE_SELECTOR: d.pointee.select_tone = asynchronous ? pluginSelectToneAsync : pluginSelectTone
        case TONEHOST_KIND_TONE:
            d.pointee.convert_tone = asynchronous ? pluginConvertToneAsync : pluginConvertTone
            d.pointee.tone_stream_begin = pluginToneStreamBegin
            d.pointee.tone_stream_end = pluginToneStreamEnd
        case TONEHOST_KIND_LLM: d.pointee.generate = asynchronous ? pluginGenerateAsync : pluginGenerate; d.pointee.warmup = pluginWarmup
        case TONEHOST_KIND_RETRIEVER: d.pointee.retrieve = asynchronous ? pluginRetrieveAsync : pluginRetrieve; d.pointee.warmup = pluginWarmup
        // One thunk serves both embedder protocols.
        case TONEHOST_KIND_EMBEDDER: d.pointee.embed = pluginEmbed; d.pointee.warmup = pluginWarmup
        default: break
        }
        descriptor = UnsafeRawPointer(d)
        // One export per library: the C thunks find the factory here.
        PluginExport.current = self
    }

    nonisolated(unsafe) static var current: PluginExport?

    /// The descriptor's flags.
    private static func flags(serialized: Bool = false, streaming: Bool = false, nonblocking: Bool = false) -> UInt32 {
        (serialized ? TONEHOST_FLAG_SERIALIZED : 0) | (streaming ? TONEHOST_FLAG_TONE_STREAMING : 0) | (nonblocking ? TONEHOST_FLAG_NONBLOCKING : 0)
    }

    /// An export whose plugin answers asynchronously: flagged TONEHOST_FLAG_NONBLOCKING, its
    /// operation the kind's starting thunk.
    private static func async(kind: tonehost_kind, id: String, version: String, description: String, streaming: Bool = false,
                              toneCategory: String? = nil, factory: @escaping Factory) -> PluginExport {
        PluginExport(kind: kind, id: id, version: version, description: description, flags: flags(streaming: streaming, nonblocking: true),
                     toneCategory: toneCategory, asynchronous: true, factory: factory)
    }

    public static func describer(id: String, version: String = "1.0", description: String, serialized: Bool = false,
                                 make: @escaping (HostServices, PluginConfig) throws -> DescriberPlugin) -> PluginExport {
        PluginExport(kind: TONEHOST_KIND_DESCRIBER, id: id, version: version, description: description,
                     flags: flags(serialized: serialized), factory: { try make($0, $1) })
    }

    /// A describer answering asynchronously (see AsyncDescriberPlugin).
    public static func asyncDescriber(id: String, version: String = "1.0", description: String,
                                      make: @escaping (HostServices, PluginConfig) throws -> AsyncDescriberPlugin) -> PluginExport {
        async(kind: TONEHOST_KIND_DESCRIBER, id: id, version: version, description: description, factory: { try make($0, $1) })
    }

    public static func toneSelector(id: String, version: String = "1.0", description: String, nonblocking: Bool = false,
                                    make: @escaping (HostServices, PluginConfig) throws -> ToneSelectorPlugin) -> PluginExport {
        PluginExport(kind: TONEHOST_KIND_TONE_SELECTOR, id: id, version: version, description: description,
                     flags: flags(nonblocking: nonblocking), factory: { try make($0, $1) })
    }

    /// A tone selector answering asynchronously (see AsyncToneSelectorPlugin).
    public static func asyncToneSelector(id: String, version: String = "1.0", description: String,
                                         make: @escaping (HostServices, PluginConfig) throws -> AsyncToneSelectorPlugin) -> PluginExport {
        async(kind: TONEHOST_KIND_TONE_SELECTOR, id: id, version: version, description: description, factory: { try make($0, $1) })
    }

    /// `streaming`: the plugin converts sentence by sentence (TONEHOST_FLAG_TONE_STREAMING).
    public static func tone(id: String, version: String = "1.0", category: String, description: String, streaming: Bool,
                            nonblocking: Bool = false,
                            make: @escaping (HostServices, PluginConfig) throws -> TonePlugin) -> PluginExport {
        PluginExport(kind: TONEHOST_KIND_TONE, id: id, version: version, description: description,
                     flags: flags(streaming: streaming, nonblocking: nonblocking), toneCategory: category, factory: { try make($0, $1) })
    }

    /// A tone converting asynchronously (see AsyncTonePlugin).
    public static func asyncTone(id: String, version: String = "1.0", category: String, description: String, streaming: Bool,
                                 make: @escaping (HostServices, PluginConfig) throws -> AsyncTonePlugin) -> PluginExport {
        async(kind: TONEHOST_KIND_TONE, id: id, version: version, description: description, streaming: streaming,
              toneCategory: category, factory: { try make($0, $1) })
    }

    public static func llm(id: String, version: String = "1.0", description: String, nonblocking: Bool = false,
                           make: @escaping (HostServices, PluginConfig) throws -> LLMPlugin) -> PluginExport {
        PluginExport(kind: TONEHOST_KIND_LLM, id: id, version: version, description: description,
                     flags: flags(nonblocking: nonblocking), factory: { try make($0, $1) })
    }

    /// An LLM streaming asynchronously (see AsyncLLMPlugin).
    public static func asyncLLM(id: String, version: String = "1.0", description: String,
                                make: @escaping (HostServices, PluginConfig) throws -> AsyncLLMPlugin) -> PluginExport {
        async(kind: TONEHOST_KIND_LLM, id: id, version: version, description: description, factory: { try make($0, $1) })
    }

    public static func retriever(id: String, version: String = "1.0", description: String, nonblocking: Bool = false,
                                 make: @escaping (HostServices, PluginConfig) throws -> RetrieverPlugin) -> PluginExport {
        PluginExport(kind: TONEHOST_KIND_RETRIEVER, id: id, version: version, description: description,
                     flags: flags(nonblocking: nonblocking), factory: { try make($0, $1) })
    }

    /// A retriever answering asynchronously (see AsyncRetrieverPlugin), e.g. over HTTP.
    public static func asyncRetriever(id: String, version: String = "1.0", description: String,
                                      make: @escaping (HostServices, PluginConfig) throws -> AsyncRetrieverPlugin) -> PluginExport {
        async(kind: TONEHOST_KIND_RETRIEVER, id: id, version: version, description: description, factory: { try make($0, $1) })
    }

    /// An embedder answering asynchronously (see AsyncEmbedderPlugin): nothing blocks a host thread.
    public static func asyncEmbedder(id: String, version: String = "1.0", description: String,
                                     make: @escaping (HostServices, PluginConfig) throws -> AsyncEmbedderPlugin) -> PluginExport {
        async(kind: TONEHOST_KIND_EMBEDDER, id: id, version: version, description: description, factory: { try make($0, $1) })
    }

    /// An embedder that computes (or blocks) in its operation.
    public static func embedder(id: String, version: String = "1.0", description: String, nonblocking: Bool = false,
                                make: @escaping (HostServices, PluginConfig) throws -> EmbedderPlugin) -> PluginExport {
        PluginExport(kind: TONEHOST_KIND_EMBEDDER, id: id, version: version, description: description,
                     flags: flags(nonblocking: nonblocking), factory: { try make($0, $1) })
    }
}

// MARK: - C thunks (no captures: they find the Swift object behind the instance pointer)

final class InstanceBox {
    let object: AnyObject
    let host: HostServices
    init(object: AnyObject, host: HostServices) { self.object = object; self.host = host }
}

@inline(__always) private func box(_ p: UnsafeMutableRawPointer?) -> InstanceBox {
    Unmanaged<InstanceBox>.fromOpaque(p!).takeUnretainedValue()
}

/// Runs an operation: converts thrown errors into fail() + status.
private func run(_ call: OpaquePointer?, _ api: UnsafePointer<tonehost_call_api>?, _ body: (CallSink) throws -> Void) -> tonehost_status {
    guard let call, let api else { return TONEHOST_ERR_INVALID_ARGUMENT }
    let sink = CallSink(call: call, api: api)
    do {
        try body(sink)
        return TONEHOST_OK
    } catch let error as PluginError {
        sink.fail(error)
        return error.code.rawValue
    } catch {
        let e = PluginError(.internalError, "\(error)")
        sink.fail(e)
        return e.code.rawValue
    }
}

/// Runs a blocking operation of the instance's plugin, a `P`; fails with `notA` when the
/// instance is not one or the request is missing.
private func run<P, R>(_ instance: UnsafeMutableRawPointer?, _ request: UnsafePointer<R>?, as _: P.Type, notA: String,
                       _ call: OpaquePointer?, _ api: UnsafePointer<tonehost_call_api>?,
                       _ body: (P, UnsafePointer<R>, CallSink) throws -> Void) -> tonehost_status {
    run(call, api) { sink in
        guard let request, let plugin = box(instance).object as? P else { throw PluginError(.invalidArgument, notA) }
        try body(plugin, request, sink)
    }
}

private let pluginCreate: @convention(c) (UnsafePointer<tonehost_host_api>?, UnsafePointer<CChar>?, UnsafeMutablePointer<CChar>?, Int) -> UnsafeMutableRawPointer? = { host, config, errorBuf, errorSize in
    func report(_ message: String) { CErrorBuffer.write(message, into: errorBuf, size: errorSize) }
    guard let host, let export = PluginExport.current else { report("plugin not initialised"); return nil }
    let services = HostServices(api: host)
    do {
        let config = try PluginConfig(json: config.map { String(cString: $0) } ?? "{}")
        let object = try export.factory(services, config)
        return Unmanaged.passRetained(InstanceBox(object: object, host: services)).toOpaque()
    } catch {
        report("\(error)")
        return nil
    }
}

private let pluginDestroy: @convention(c) (UnsafeMutableRawPointer?) -> Void = { instance in
    guard let instance else { return }
    Unmanaged<InstanceBox>.fromOpaque(instance).release()
}

private let pluginDescribe: @convention(c) (UnsafeMutableRawPointer?, UnsafePointer<tonehost_describe_request>?, OpaquePointer?, UnsafePointer<tonehost_call_api>?) -> tonehost_status = { instance, request, call, api in
    run(instance, request, as: DescriberPlugin.self, notA: "not a describer", call, api) { plugin, r, sink in
        try sink.emit(try plugin.describe(describeRequest(r), sink: sink))
    }
}

private let pluginSelectTone: @convention(c) (UnsafeMutableRawPointer?, UnsafePointer<tonehost_select_request>?, OpaquePointer?, UnsafePointer<tonehost_call_api>?) -> tonehost_status = { instance, request, call, api in
    run(instance, request, as: ToneSelectorPlugin.self, notA: "not a tone selector", call, api) { plugin, r, sink in
        try sink.emit(try plugin.select(selectRequest(r), sink: sink))
    }
}

/// The request of a describer call.
private func describeRequest(_ p: UnsafePointer<tonehost_describe_request>) -> DescribeRequest {
    DescribeRequest(sessionID: str(p.pointee.session_id), imageBase64: str(p.pointee.image_base64))
}

/// The request of a tone selector call.
private func selectRequest(_ p: UnsafePointer<tonehost_select_request>) -> SelectRequest {
    let r = p.pointee
    var categories: [String] = []
    if let list = r.categories {
        for i in 0..<r.category_count { categories.append(str(list[i])) }
    }
    return SelectRequest(userDescription: str(r.user_description), language: str(r.language), categories: categories)
}

/// Starts an asynchronous operation: `start` gets the sink and a completion; the completion
/// emits the result (`emit`, when the operation answers with a value), then completes the call
/// with its status, or fails it with the plugin's error.
private func pending<T>(_ call: OpaquePointer?, _ api: UnsafePointer<tonehost_call_api>?,
                        emit: @escaping (T, CallSink) throws -> Void,
                        start: (CallSink, @escaping (Result<T, PluginError>) -> Void) -> Void) -> tonehost_status {
    guard let call, let api else { return TONEHOST_ERR_INVALID_ARGUMENT }
    let sink = CallSink(call: call, api: api)
    start(sink) { result in
        switch result {
        case .success(let value):
            api.pointee.complete(call, (try? emit(value, sink)) != nil ? TONEHOST_OK : TONEHOST_ERR_CANCELLED)
        case .failure(let error):
            sink.fail(error)
            api.pointee.complete(call, error.code.rawValue)
        }
    }
    return TONEHOST_PENDING
}

/// Starts an asynchronous operation of the instance's plugin, a `P` (TONEHOST_ERR_INVALID_ARGUMENT
/// when the instance is not one or the request is missing).
private func pending<P, R, T>(_ instance: UnsafeMutableRawPointer?, _ request: UnsafePointer<R>?, as _: P.Type,
                              _ call: OpaquePointer?, _ api: UnsafePointer<tonehost_call_api>?,
                              emit: @escaping (T, CallSink) throws -> Void,
                              start: (P, UnsafePointer<R>, CallSink, @escaping (Result<T, PluginError>) -> Void) -> Void) -> tonehost_status {
    guard let request, let plugin = box(instance).object as? P else { return TONEHOST_ERR_INVALID_ARGUMENT }
    return pending(call, api, emit: emit) { sink, done in start(plugin, request, sink, done) }
}

/// The emit of an operation that emitted its output as it went: nothing is left to emit.
private func emitNothing(_: Void, _: CallSink) {}

private let pluginDescribeAsync: @convention(c) (UnsafeMutableRawPointer?, UnsafePointer<tonehost_describe_request>?, OpaquePointer?, UnsafePointer<tonehost_call_api>?) -> tonehost_status = { instance, request, call, api in
    pending(instance, request, as: AsyncDescriberPlugin.self, call, api, emit: { text, sink in try sink.emit(text) }) { plugin, r, sink, done in
        plugin.describe(describeRequest(r), sink: sink, completion: done)
    }
}

private let pluginSelectToneAsync: @convention(c) (UnsafeMutableRawPointer?, UnsafePointer<tonehost_select_request>?, OpaquePointer?, UnsafePointer<tonehost_call_api>?) -> tonehost_status = { instance, request, call, api in
    pending(instance, request, as: AsyncToneSelectorPlugin.self, call, api, emit: { choice, sink in try sink.emit(choice) }) { plugin, r, sink, done in
        plugin.select(selectRequest(r), sink: sink, completion: done)
    }
}

private let pluginConvertToneAsync: @convention(c) (UnsafeMutableRawPointer?, UnsafePointer<tonehost_tone_request>?, OpaquePointer?, UnsafePointer<tonehost_call_api>?) -> tonehost_status = { instance, request, call, api in
    pending(instance, request, as: AsyncTonePlugin.self, call, api, emit: emitNothing) { plugin, r, sink, done in
        plugin.convert(toneRequest(r), sink: sink, completion: done)
    }
}

private let pluginGenerateAsync: @convention(c) (UnsafeMutableRawPointer?, UnsafePointer<tonehost_llm_request>?, OpaquePointer?, UnsafePointer<tonehost_call_api>?) -> tonehost_status = { instance, request, call, api in
    pending(instance, request, as: AsyncLLMPlugin.self, call, api, emit: emitNothing) { plugin, r, sink, done in
        plugin.generate(LLMRequest(r.pointee), sink: sink, completion: done)
    }
}

private let pluginRetrieveAsync: @convention(c) (UnsafeMutableRawPointer?, UnsafePointer<tonehost_retrieve_request>?, OpaquePointer?, UnsafePointer<tonehost_call_api>?) -> tonehost_status = { instance, request, call, api in
    pending(instance, request, as: AsyncRetrieverPlugin.self, call, api, emit: emitNothing) { plugin, r, sink, done in
        plugin.retrieve(RetrieveRequest(r), sink: sink, completion: done)
    }
}

/// The request's `stream` field, when the host is new enough to send it.
private func toneRequest(_ p: UnsafePointer<tonehost_tone_request>) -> ToneRequest {
    let r = p.pointee
    let hasStream = Int(r.struct_size) >= MemoryLayout<tonehost_tone_request>.offset(of: \tonehost_tone_request.stream)! + MemoryLayout<UnsafeRawPointer>.size
    let stream = hasStream ? r.stream.map { Unmanaged<AnyObject>.fromOpaque($0).takeUnretainedValue() } : nil
    return ToneRequest(segment: ToneSegment(text: str(r.text), userDescription: str(r.user_description), userMessage: str(r.user_msg),
                                            language: str(r.language), firstMessage: r.first_message != 0,
                                            segmentIndex: Int(r.segment_index), isFinal: r.is_final != 0,
                                            sessionID: str(r.session_id)), stream: stream)
}

private let pluginConvertTone: @convention(c) (UnsafeMutableRawPointer?, UnsafePointer<tonehost_tone_request>?, OpaquePointer?, UnsafePointer<tonehost_call_api>?) -> tonehost_status = { instance, request, call, api in
    run(instance, request, as: TonePlugin.self, notA: "not a tone plugin", call, api) { plugin, r, sink in
        try plugin.convert(toneRequest(r), sink: sink)
    }
}

private let pluginToneStreamBegin: @convention(c) (UnsafeMutableRawPointer?, UnsafePointer<tonehost_tone_request>?) -> UnsafeMutableRawPointer? = { instance, first in
    guard let first else { return nil }
    let object = box(instance).object
    let state = (object as? TonePlugin)?.beginAnswer(toneRequest(first)) ?? (object as? AsyncTonePlugin)?.beginAnswer(toneRequest(first))
    return state.map { Unmanaged.passRetained($0).toOpaque() }
}

private let pluginToneStreamEnd: @convention(c) (UnsafeMutableRawPointer?, UnsafeMutableRawPointer?) -> Void = { _, stream in
    guard let stream else { return }
    Unmanaged<AnyObject>.fromOpaque(stream).release()
}

private let pluginGenerate: @convention(c) (UnsafeMutableRawPointer?, UnsafePointer<tonehost_llm_request>?, OpaquePointer?, UnsafePointer<tonehost_call_api>?) -> tonehost_status = { instance, request, call, api in
    run(instance, request, as: LLMPlugin.self, notA: "not an llm plugin", call, api) { plugin, r, sink in
        try plugin.generate(LLMRequest(r.pointee), sink: sink)
    }
}

private let pluginRetrieve: @convention(c) (UnsafeMutableRawPointer?, UnsafePointer<tonehost_retrieve_request>?, OpaquePointer?, UnsafePointer<tonehost_call_api>?) -> tonehost_status = { instance, request, call, api in
    run(instance, request, as: RetrieverPlugin.self, notA: "not a retriever", call, api) { plugin, r, sink in
        try plugin.retrieve(RetrieveRequest(r), sink: sink)
    }
}

private let pluginEmbed: @convention(c) (UnsafeMutableRawPointer?, UnsafePointer<tonehost_embed_request>?, OpaquePointer?, UnsafePointer<tonehost_call_api>?) -> tonehost_status = { instance, request, call, api in
    guard let call, let api, let r = request?.pointee else { return TONEHOST_ERR_INVALID_ARGUMENT }
    let sink = CallSink(call: call, api: api)
    var texts: [String] = []
    if let list = r.texts {
        for i in 0..<r.text_count { texts.append(str(list[i])) }
    }
    guard let purpose = EmbeddingPurpose(rawValue: str(r.purpose)) else {
        sink.fail(PluginError(.invalidArgument, "purpose must be \"query\" or \"document\", found \"\(str(r.purpose))\""))
        return TONEHOST_ERR_INVALID_ARGUMENT
    }
    let embedRequest = EmbedRequest(texts: texts, purpose: purpose)
    func deliver(_ model: String, _ vectors: [[Float]]) throws {
        guard vectors.count == texts.count else {
            throw PluginError(.badResponse, "the backend returned \(vectors.count) vectors for \(texts.count) texts")
        }
        try sink.emit(model)
        for (i, v) in vectors.enumerated() { try sink.emit(vector: v, index: i) }
    }
    switch box(instance).object {
    case let plugin as AsyncEmbedderPlugin:
        plugin.embed(embedRequest, sink: sink) { result in
            let status: tonehost_status
            switch result {
            case .success(let (model, vectors)):
                do {
                    try deliver(model, vectors)
                    status = TONEHOST_OK
                } catch let error as PluginError {
                    sink.fail(error)
                    status = error.code.rawValue
                } catch {
                    status = TONEHOST_ERR_INTERNAL
                }
            case .failure(let error):
                sink.fail(error)
                status = error.code.rawValue
            }
            api.pointee.complete(call, status)
        }
        return TONEHOST_PENDING
    case let plugin as EmbedderPlugin:
        return run(call, api) { sink in
            let (model, vectors) = try plugin.embed(embedRequest, sink: sink)
            try deliver(model, vectors)
        }
    default:
        sink.fail(PluginError(.invalidArgument, "not an embedder"))
        return TONEHOST_ERR_INVALID_ARGUMENT
    }
}

private let pluginWarmup: @convention(c) (UnsafeMutableRawPointer?, OpaquePointer?, UnsafePointer<tonehost_call_api>?) -> tonehost_status = { instance, call, api in
    run(call, api) { sink in
        let object = box(instance).object
        let warmup = (object as? LLMPlugin)?.warmup(sink:) ?? (object as? AsyncLLMPlugin)?.warmup(sink:)
            ?? (object as? RetrieverPlugin)?.warmup(sink:) ?? (object as? AsyncRetrieverPlugin)?.warmup(sink:)
            ?? (object as? AsyncEmbedderPlugin)?.warmup(sink:) ?? (object as? EmbedderPlugin)?.warmup(sink:)
        if let warmup { try sink.emit(try warmup(sink)) }
    }
}

private let poolExtension: UnsafePointer<tonehost_description_pool_ext> = {
    let p = UnsafeMutablePointer<tonehost_description_pool_ext>.allocate(capacity: 1)
    p.initialize(to: tonehost_description_pool_ext(
        struct_size: UInt32(MemoryLayout<tonehost_description_pool_ext>.size),
        list: { instance, call, api in
            run(call, api) { sink in
                guard let pool = (box(instance).object as? DescriberPlugin)?.descriptionPool else { return }
                for description in pool { try sink.emitWhole(description) }
            }
        }))
    return UnsafePointer(p)
}()

private let retrieverAdminExtension: UnsafePointer<tonehost_retriever_admin_ext> = {
    let p = UnsafeMutablePointer<tonehost_retriever_admin_ext>.allocate(capacity: 1)
    p.initialize(to: tonehost_retriever_admin_ext(
        struct_size: UInt32(MemoryLayout<tonehost_retriever_admin_ext>.size),
        status: { instance, call, api in
            run(call, api) { sink in
                guard let admin = box(instance).object as? RetrieverAdministration else { return }
                try sink.emit(try admin.status(sink: sink))
            }
        },
        initialize: { instance, call, api in
            run(call, api) { sink in
                guard let admin = box(instance).object as? RetrieverAdministration else { return }
                try sink.emit(try admin.initialize(sink: sink))
            }
        }))
    return UnsafePointer(p)
}()

private let pluginGetExtension: @convention(c) (UnsafeMutableRawPointer?, UnsafePointer<CChar>?) -> UnsafeRawPointer? = { instance, id in
    guard let instance, let id else { return nil }
    switch String(cString: id) {
    case TONEHOST_EXT_DESCRIPTION_POOL:
        guard (box(instance).object as? DescriberPlugin)?.descriptionPool != nil else { return nil }
        return UnsafeRawPointer(poolExtension)
    case TONEHOST_EXT_RETRIEVER_ADMIN:
        guard box(instance).object is RetrieverAdministration else { return nil }
        return UnsafeRawPointer(retrieverAdminExtension)
    default:
        return nil
    }
}
