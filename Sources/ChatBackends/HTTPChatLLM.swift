import CurlHTTP
import Foundation
import TonehostPluginKit
import TonehostTypes

/// The `llm` plugin behind llm-ollama and llm-openai: sends the host's prompt to the backend
/// and streams the answer back, asynchronously (no host thread waits per request).
/// Config: base_url (several instances: comma-separated or an array, tried in order or spread,
/// a failing one ejected for eject_ms — see `EndpointPool`; a call moves to the next instance
/// only before the first text reached the host), model (required), temperature, max_tokens,
/// keep_alive (Ollama), timeout_ms (none by default), api_key / api_key_env (OpenAI-compatible).
public final class HTTPChatLLM: AsyncLLMPlugin {
    let backends: [ChatBackend]
    let endpoints: EndpointPool
    var backend: ChatBackend { backends[0] }
    let timeoutMilliseconds: Int?
    let maxTokens: Int?
    let host: HostServices

    public init(api: ChatBackend.API, host: HostServices, config: PluginConfig, environment: [String: String] = ProcessInfo.processInfo.environment) throws {
        self.host = host
        let bases: [String]
        switch api {
        case .ollama:
            // OLLAMA_HOST may be "host:port" without a scheme (the Ollama CLI accepts that).
            var b = environment["OLLAMA_HOST"] ?? "http://127.0.0.1:11434"
            if !b.contains("://") { b = "http://" + b }
            bases = try Self.baseURLs(config) ?? [b]
        case .openAI:
            bases = try Self.baseURLs(config) ?? [environment["OPENAI_BASE_URL"] ?? "https://api.openai.com/v1"]
        }
        let base = bases.joined(separator: ", ")
        guard let model = try config.string("model"), !model.isEmpty else {
            throw PluginError(.config, "config key 'model' is required (e.g. model = \"${LLM_MODEL_NAME:-llama3.2}\")")
        }
        var key: String?
        if api == .openAI {
            key = try config.string("api_key").flatMap { $0.isEmpty ? nil : $0 }
            if key == nil { key = environment[try config.string("api_key_env", default: "OPENAI_API_KEY")] }
        }
        let keepAlive = try config.string("keep_alive"), temperature = try config.double("temperature")
        backends = bases.map { ChatBackend(api: api, baseURL: $0, model: model, apiKey: key, keepAlive: keepAlive, defaultTemperature: temperature) }
        endpoints = try EndpointPool(urls: bases, config: config)
        timeoutMilliseconds = try config.int("timeout_ms")
        maxTokens = try config.int("max_tokens")
        host.log(.info, "\(api == .ollama ? "Ollama" : "OpenAI-compatible") backend \(base) model \(model)\(key == nil ? "" : " (API key set)")")
    }

    /// `base_url` as one or several URLs; nil when unset or empty ("${VAR:-}").
    static func baseURLs(_ config: PluginConfig) throws -> [String]? {
        if let s = config.values["base_url"] as? String, s.trimmingCharacters(in: .whitespaces).isEmpty { return nil }
        return try EndpointPool.urls(config, key: "base_url")
    }

    public func generate(_ request: LLMRequest, sink: CallSink, completion: @escaping (Result<Void, PluginError>) -> Void) {
        let messages = request.messages.map { ChatBackend.Message(role: $0.role, content: $0.content) }
        attempt(endpoints.plan()[...], messages: messages, request: request, sink: sink, failures: [], completion: completion)
    }

    private func attempt(_ plan: ArraySlice<Int>, messages: [ChatBackend.Message], request: LLMRequest, sink: CallSink,
                         failures: [String], completion: @escaping (Result<Void, PluginError>) -> Void) {
        guard case let (index, timeout)? = EndpointPool.nextTry(plan, sink: sink, timeoutMilliseconds: timeoutMilliseconds,
                                                                 failures: failures, completion: completion) else { return }
        let state = PendingCall()
        let emitted = Locked(false)
        let endpoints = self.endpoints
        let transfer = ChatStream.start(backends[index], messages: messages, temperature: request.temperature,
                                        maxTokens: request.maxTokens ?? maxTokens, timeoutMilliseconds: timeout,
                                        onText: { text in
                                            emitted.mutate { $0 = true }
                                            return state.whilePending { (try? sink.emit(text)) != nil } ?? false
                                        },
                                        completion: { [weak self] result in
            state.complete {
                switch result {
                case .success:
                    endpoints.succeeded(index)
                    completion(.success(()))
                case .failure(let f):
                    let endpointFault = [.unreachable, .timeout, .http, .interrupted].contains(f.kind)
                    if endpointFault { endpoints.failed(index) }
                    // Before the first text the call can move on; after it, the answer is half-sent.
                    if endpointFault, !emitted.value, plan.count > 1, let self {
                        self.host.log(.warning, "\(f.message); trying the next instance")
                        self.attempt(plan.dropFirst(), messages: messages, request: request, sink: sink,
                                     failures: failures + [f.message], completion: completion)
                        return
                    }
                    let code: PluginError.Code
                    switch f.kind {
                    case .timeout: code = .timeout
                    case .cancelled: code = .cancelled
                    case .unreachable, .http, .interrupted: code = .unavailable
                    case .backend, .malformed: code = .badResponse
                    }
                    completion(.failure(PluginError(code, (failures + [f.message]).joined(separator: "; "))))
                }
            }
        })
        PendingCall.watch(state, sink: sink, transfer: transfer)
    }

    public func warmup(sink: CallSink) throws -> String {
        let done = DispatchSemaphore(value: 0)
        var outcome: Result<(status: Int, body: Data), CurlHTTPClient.Failure>?
        let start = Date()
        CurlHTTPClient.shared.fetch(backend.warmupRequest(timeoutMilliseconds: 120_000)) { outcome = $0; done.signal() }
        done.wait()
        switch outcome! {
        case .failure(let f): throw PluginError(.unavailable, "warm-up of \(backend.model) failed: \(f.message)")
        case .success(let r) where !(200..<300).contains(r.status):
            throw PluginError(.unavailable, "warm-up of \(backend.model) failed: HTTP \(r.status)\(ChatStream.errorDetail(r.body))")
        case .success:
            return "model \(backend.model) ready in \(Int(Date().timeIntervalSince(start) * 1000)) ms"
        }
    }
}

/// A PENDING call's state: the call handle may be touched only until it is completed.
public final class PendingCall: @unchecked Sendable {
    private let lock = NSLock()
    private var done = false

    public init() {}

    public func complete(_ body: () -> Void) {
        lock.lock()
        defer { lock.unlock() }
        guard !done else { return }
        done = true
        body()
    }

    /// Runs `body` only while the call is pending; nil once it completed.
    public func whilePending<T>(_ body: () -> T) -> T? {
        lock.lock()
        defer { lock.unlock() }
        return done ? nil : body()
    }

    private static let queue = DispatchQueue(label: "tonehost.pending-calls")

    /// Cancels the transfer when the host gives up on the call (client gone, deadline passed):
    /// at once, through the call's end notification, or — on a host without one — by polling
    /// the host's cancellation flag every 50 ms.
    public static func watch(_ state: PendingCall, sink: CallSink, transfer: CurlHTTPClient.Transfer) {
        let notified = sink.onEnd {
            // Also runs when the call ends because this transfer completed it, inside
            // `complete`, which holds the lock: then (or while a token is being delivered) look
            // again once the lock is free instead of waiting for it here.
            if state.lock.try() {
                let pending = !state.done
                state.lock.unlock()
                if pending { transfer.cancel() }
            } else {
                queue.async { if state.whilePending({ true }) == true { transfer.cancel() } }
            }
        }
        if !notified { poll(state, sink: sink, transfer: transfer) }
    }

    private static func poll(_ state: PendingCall, sink: CallSink, transfer: CurlHTTPClient.Transfer) {
        queue.asyncAfter(deadline: .now() + .milliseconds(50)) {
            switch state.whilePending({ sink.isCancelled }) {
            case nil: return
            case true?: transfer.cancel()
            case false?: poll(state, sink: sink, transfer: transfer)
            }
        }
    }
}
