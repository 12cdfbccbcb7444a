import CurlHTTP
import Foundation
import TonehostPluginKit

/// The `llm` plugin behind llm-ollama and llm-openai: sends the host's prompt to the backend
/// and streams the answer back, asynchronously (no host thread waits per request).
/// Config: base_url, model (required), temperature, max_tokens, keep_alive (Ollama),
/// timeout_ms (none by default), api_key / api_key_env (OpenAI-compatible).
public final class HTTPChatLLM: AsyncLLMPlugin {
    let backend: ChatBackend
    let timeoutMilliseconds: Int?
    let maxTokens: Int?
    let host: HostServices

    public init(api: ChatBackend.API, host: HostServices, config: PluginConfig, environment: [String: String] = ProcessInfo.processInfo.environment) throws {
        self.host = host
        let base: String
        switch api {
        case .ollama:
            // OLLAMA_HOST may be "host:port" without a scheme (the Ollama CLI accepts that).
            var b = try config.string("base_url").flatMap { $0.isEmpty ? nil : $0 } ?? environment["OLLAMA_HOST"] ?? "http://127.0.0.1:11434"
            if !b.contains("://") { b = "http://" + b }
            base = b
        case .openAI:
            base = try config.string("base_url").flatMap { $0.isEmpty ? nil : $0 } ?? environment["OPENAI_BASE_URL"] ?? "https://api.openai.com/v1"
        }
        guard let model = try config.string("model"), !model.isEmpty else {
            throw PluginError(.config, "config key 'model' is required (e.g. model = \"${LLM_MODEL_NAME:-llama3.2}\")")
        }
        var key: String?
        if api == .openAI {
            key = try config.string("api_key").flatMap { $0.isEmpty ? nil : $0 }
            if key == nil { key = environment[try config.string("api_key_env", default: "OPENAI_API_KEY")] }
        }
        backend = ChatBackend(api: api, baseURL: base, model: model, apiKey: key, keepAlive: try config.string("keep_alive"),
                              defaultTemperature: try config.double("temperature"))
        timeoutMilliseconds = try config.int("timeout_ms")
        maxTokens = try config.int("max_tokens")
        host.log(.info, "\(api == .ollama ? "Ollama" : "OpenAI-compatible") backend \(base) model \(model)\(key == nil ? "" : " (API key set)")")
    }

    public func generate(_ request: LLMRequest, sink: CallSink, completion: @escaping (Result<Void, PluginError>) -> Void) {
        let messages = request.messages.map { ChatBackend.Message(role: $0.role, content: $0.content) }
        let remaining = sink.remainingMilliseconds.map { Int(min($0, UInt64(Int.max))) }
        let timeout = [timeoutMilliseconds, remaining].compactMap { $0 }.min()
        let state = PendingCall()
        let transfer = ChatStream.start(backend, messages: messages, temperature: request.temperature,
                                        maxTokens: request.maxTokens ?? maxTokens, timeoutMilliseconds: timeout,
                                        onText: { text in state.whilePending { (try? sink.emit(text)) != nil } ?? false },
                                        completion: { result in
            state.complete {
                switch result {
                case .success: completion(.success(()))
                case .failure(let f):
                    let code: PluginError.Code
                    switch f.kind {
                    case .timeout: code = .timeout
                    case .cancelled: code = .cancelled
                    case .unreachable, .http, .interrupted: code = .unavailable
                    case .backend, .malformed: code = .badResponse
                    }
                    completion(.failure(PluginError(code, f.message)))
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

    /// Polls the host's cancellation flag and cancels the transfer when the host gives up.
    public static func watch(_ state: PendingCall, sink: CallSink, transfer: CurlHTTPClient.Transfer) {
        queue.asyncAfter(deadline: .now() + .milliseconds(50)) {
            switch state.whilePending({ sink.isCancelled }) {
            case nil: return
            case true?: transfer.cancel()
            case false?: watch(state, sink: sink, transfer: transfer)
            }
        }
    }
}
