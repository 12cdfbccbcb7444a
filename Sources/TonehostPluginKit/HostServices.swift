import CTonehostABI

/// The services the host handed to this instance at create (logging, extensions).
public struct HostServices: @unchecked Sendable {
    public enum LogLevel: UInt32 { case trace = 0, debug, info, warning, error }

    let api: UnsafePointer<tonehost_host_api>

    public func log(_ level: LogLevel, _ message: String) {
        guard let log = api.pointee.log else { return }
        message.withCString { log(api, tonehost_log_level(rawValue: level.rawValue), $0) }
    }

    /// An optional host service table by versioned id, or nil when the host lacks it.
    public func extensionTable(_ id: String) -> UnsafeRawPointer? {
        guard api.pointee.struct_size >= UInt32(MemoryLayout<tonehost_host_api>.size),
              let get = api.pointee.get_extension else { return nil }
        return id.withCString { get(api, $0) }
    }
}

/// One operation call as seen from a Swift plugin: where results go, and whether to stop.
public struct CallSink: @unchecked Sendable {
    let call: OpaquePointer
    let api: UnsafePointer<tonehost_call_api>

    /// Sends text to the host. Throws `PluginError.cancelled` once the call is cancelled.
    public func emit(_ text: String) throws {
        guard !text.isEmpty else { return }
        var copy = text
        let stop = copy.withUTF8 { buf in
            buf.withMemoryRebound(to: CChar.self) { api.pointee.emit(call, $0.baseAddress, $0.count) }
        }
        if stop != 0 { throw PluginError.cancelled }
    }

    /// Like emit, but also sends an empty text (for list-style extensions: one emit per item).
    func emitWhole(_ text: String) throws {
        let stop = text.withCString { api.pointee.emit(call, $0, strlen($0)) }
        if stop != 0 { throw PluginError.cancelled }
    }

    public func emit(passage: RetrievedPassage) throws {
        let stop = passage.id.withCString { id in
            passage.title.withCString { title in
                passage.content.withCString { content in
                    passage.source.withCString { source in
                        passage.language.withCString { language in
                            var p = tonehost_passage(
                                struct_size: UInt32(MemoryLayout<tonehost_passage>.size), id: id, title: title,
                                content: content, source: source, language: language, score: passage.score)
                            return api.pointee.emit_passage(call, &p)
                        }
                    }
                }
            }
        }
        if stop != 0 { throw PluginError.cancelled }
    }

    /// Sends the vector of text `index` (embedders). Throws `PluginError.cancelled` once the
    /// call is cancelled.
    public func emit(vector: [Float], index: Int) throws {
        guard Int(api.pointee.struct_size) >= fieldEnd(\tonehost_call_api.emit_vector), let emitVector = api.pointee.emit_vector else {
            throw PluginError(.internalError, "this host cannot receive vectors (its call API is too old)")
        }
        let stop = vector.withUnsafeBufferPointer { emitVector(call, index, $0.baseAddress, $0.count) }
        if stop != 0 { throw PluginError.cancelled }
    }

    public var isCancelled: Bool { api.pointee.is_cancelled(call) != 0 }

    /// Runs `body` exactly once when the call ends, however it ends (completed, past its
    /// deadline, cancelled by the host), at once if it already has; on any thread, possibly
    /// inside this call's own completion, so `body` must not wait for a lock that completion
    /// holds. For asynchronous operations: stop their work when the host gives up. Returns false,
    /// and never runs `body`, on a host without the notification (poll `isCancelled` there).
    @discardableResult
    public func onEnd(_ body: @escaping () -> Void) -> Bool {
        guard Int(api.pointee.struct_size) >= fieldEnd(\tonehost_call_api.on_end), let register = api.pointee.on_end else { return false }
        let box = Unmanaged.passRetained(EndBox(body)).toOpaque()
        register(call, { context in
            guard let context else { return }
            Unmanaged<EndBox>.fromOpaque(context).takeRetainedValue().body()
        }, box)
        return true
    }

    /// Time left before the deadline, nil when the call has none.
    public var remainingMilliseconds: UInt64? {
        let ms = api.pointee.remaining_ms(call)
        return ms == UInt64.max ? nil : ms
    }

    /// Sleeps up to `milliseconds`, waking early (and throwing) when the call is cancelled.
    public func sleep(milliseconds: Int) throws {
        var left = milliseconds
        while left > 0 {
            if isCancelled { throw PluginError.cancelled }
            let step = min(left, 20)
            usleep(UInt32(step) * 1000)
            left -= step
        }
        if isCancelled { throw PluginError.cancelled }
    }

    func fail(_ error: PluginError) {
        error.message.withCString { api.pointee.fail(call, error.code.rawValue, $0) }
    }
}

#if canImport(Glibc)
import Glibc
#endif

extension HostServices {
    /// Whether the host offers its LLM service (TONEHOST_HOST_EXT_LLM).
    public var hasLLMService: Bool { extensionTable(TONEHOST_HOST_EXT_LLM) != nil }

    /// Runs a chat on the host's LLM service from inside an operation (blocks this thread);
    /// `onText` receives the text as it is generated. Throws with the host's reason on failure.
    public func chat(purpose: String, messages: [ChatMessage], temperature: Double? = nil, sink: CallSink,
                     onText: @escaping (String) -> Void) throws {
        guard let raw = extensionTable(TONEHOST_HOST_EXT_LLM) else {
            throw PluginError(.unavailable, "this host offers no LLM service")
        }
        let table = raw.assumingMemoryBound(to: tonehost_host_llm.self)
        guard Int(table.pointee.struct_size) >= fieldEnd(\tonehost_host_llm.chat), let chat = table.pointee.chat else {
            throw PluginError(.unavailable, "the host's LLM service is too old")
        }
        let box = Unmanaged.passRetained(ChatBox(onText: onText, completion: { _ in }))
        defer { box.release() }
        var error = [CChar](repeating: 0, count: 512)
        let errorSize = error.count
        let status = ChatMessages(messages, purpose: purpose).withC { purposeC, list, count in
            chat(api, sink.call, purposeC, list, count, temperature ?? -1, chatText, box.toOpaque(), &error, errorSize)
        }
        if status != TONEHOST_OK {
            throw PluginError(PluginError.Code(rawValue: status) ?? .unavailable, String(cString: error))
        }
    }

    /// Starts a chat on the host's LLM service and returns at once, for an asynchronous
    /// operation (an `AsyncTonePlugin` / `AsyncToneSelectorPlugin`): no thread waits while the
    /// LLM works. `onText` receives the text as it is generated, then `completion` is called
    /// exactly once, from a host thread, with nil or the host's reason — also when the chat
    /// cannot start. On a host without `chat_start` the blocking chat runs on a thread of its own.
    public func startChat(purpose: String, messages: [ChatMessage], temperature: Double? = nil, sink: CallSink,
                          onText: @escaping (String) -> Void, completion: @escaping (PluginError?) -> Void) {
        guard let raw = extensionTable(TONEHOST_HOST_EXT_LLM) else {
            return completion(PluginError(.unavailable, "this host offers no LLM service"))
        }
        let table = raw.assumingMemoryBound(to: tonehost_host_llm.self)
        guard Int(table.pointee.struct_size) >= fieldEnd(\tonehost_host_llm.chat_start), let start = table.pointee.chat_start else {
            // A blocking chat may wait on I/O for minutes: a thread of its own, not the shared pool.
            let run = { [self] in
                do {
                    try chat(purpose: purpose, messages: messages, temperature: temperature, sink: sink, onText: onText)
                    completion(nil)
                } catch let error as PluginError {
                    completion(error)
                } catch {
                    completion(PluginError(.internalError, "\(error)"))
                }
            }
            if !HostThread.start("tonehost-kit", run) { run() }  // no thread: wait here rather than lose the call
            return
        }
        let box = Unmanaged.passRetained(ChatBox(onText: onText, completion: completion))
        let status = ChatMessages(messages, purpose: purpose).withC { purposeC, list, count in
            start(api, sink.call, purposeC, list, count, temperature ?? -1, chatText, { context, status, error in
                guard let context else { return }
                let box = Unmanaged<ChatBox>.fromOpaque(context).takeRetainedValue()
                box.completion(status == TONEHOST_OK ? nil : PluginError(PluginError.Code(rawValue: status) ?? .unavailable,
                                                                         error.map { String(cString: $0) } ?? "the chat failed (\(status))"))
            }, box.toOpaque())
        }
        if status != TONEHOST_OK {
            box.release()  // never called back
            completion(PluginError(PluginError.Code(rawValue: status) ?? .unavailable, "the host's LLM service could not start the chat (\(status))"))
        }
    }
}

/// A chat's callbacks, behind the `context` pointer of `tonehost_host_llm`.
private final class ChatBox {
    let onText: (String) -> Void
    let completion: (PluginError?) -> Void
    init(onText: @escaping (String) -> Void, completion: @escaping (PluginError?) -> Void) {
        self.onText = onText
        self.completion = completion
    }
}

private let chatText: tonehost_text_fn = { context, text, len in
    guard let context, let text else { return }
    let s = String(decoding: UnsafeRawBufferPointer(start: text, count: len), as: UTF8.self)
    Unmanaged<ChatBox>.fromOpaque(context).takeUnretainedValue().onText(s)
}

/// A chat's purpose and messages as C strings, valid inside `withC` (the host copies them).
private struct ChatMessages {
    let messages: [ChatMessage]
    let purpose: String
    init(_ messages: [ChatMessage], purpose: String) { self.messages = messages; self.purpose = purpose }

    func withC<T>(_ body: (UnsafePointer<CChar>, UnsafePointer<tonehost_message>?, Int) -> T) -> T {
        var strings: [UnsafeMutablePointer<CChar>] = []
        defer { strings.forEach { free($0) } }
        func c(_ s: String) -> UnsafePointer<CChar> {
            let p = strdup(s)!
            strings.append(p)
            return UnsafePointer(p)
        }
        let list = messages.map { tonehost_message(role: c($0.role), content: c($0.content)) }
        let purposeC = c(purpose)
        return list.withUnsafeBufferPointer { body(purposeC, $0.baseAddress, $0.count) }
    }
}

/// What `CallSink.onEnd` hands the host as the callback's context.
private final class EndBox {
    let body: () -> Void
    init(_ body: @escaping () -> Void) { self.body = body }
}

/// The size a struct must have (its `struct_size`) to contain `field`.
private func fieldEnd<T, F>(_ field: KeyPath<T, F>) -> Int {
    MemoryLayout<T>.offset(of: field)! + MemoryLayout<F>.size
}

extension HostServices {
    private final class VectorBox {
        var vectors: [[Float]?]
        init(_ n: Int) { vectors = Array(repeating: nil, count: n) }
    }

    /// Whether the host offers its embedder (TONEHOST_HOST_EXT_EMBEDDER): an embedder manifest is active.
    public var hasEmbedder: Bool { extensionTable(TONEHOST_HOST_EXT_EMBEDDER) != nil }

    /// Embeds texts with the host's embedder from inside an operation (blocks this thread).
    public func embed(_ texts: [String], purpose: EmbeddingPurpose, sink: CallSink) throws -> (model: String, vectors: [[Float]]) {
        guard let raw = extensionTable(TONEHOST_HOST_EXT_EMBEDDER) else {
            throw PluginError(.unavailable, "this host has no embedder configured")
        }
        let table = raw.assumingMemoryBound(to: tonehost_host_embedder.self)
        guard table.pointee.struct_size >= UInt32(MemoryLayout<tonehost_host_embedder>.size), let embed = table.pointee.embed else {
            throw PluginError(.unavailable, "the host's embedder service is too old")
        }
        let box = Unmanaged.passRetained(VectorBox(texts.count))
        defer { box.release() }
        var error = [CChar](repeating: 0, count: 512)
        var model = [CChar](repeating: 0, count: 256)
        let errorSize = error.count, modelSize = model.count
        var strings: [UnsafeMutablePointer<CChar>] = []
        defer { strings.forEach { free($0) } }
        let list: [UnsafePointer<CChar>?] = texts.map { t in
            let p = strdup(t)!
            strings.append(p)
            return UnsafePointer(p)
        }
        let status = list.withUnsafeBufferPointer { buf in
            purpose.rawValue.withCString { purposeC in
                embed(api, sink.call, purposeC, buf.baseAddress, buf.count, { context, index, values, dimension in
                    guard let context, let values else { return }
                    let b = Unmanaged<VectorBox>.fromOpaque(context).takeUnretainedValue()
                    if index < b.vectors.count { b.vectors[index] = Array(UnsafeBufferPointer(start: values, count: dimension)) }
                }, box.toOpaque(), &model, modelSize, &error, errorSize)
            }
        }
        if status != TONEHOST_OK {
            throw PluginError(PluginError.Code(rawValue: status) ?? .unavailable, String(cString: error))
        }
        let vectors = box.takeUnretainedValue().vectors
        guard vectors.allSatisfy({ $0 != nil }) else { throw PluginError(.badResponse, "the host's embedder left texts without a vector") }
        return (String(cString: model), vectors.map { $0! })
    }
}
