import ChatBackends
import CurlHTTP
import Foundation
import TonehostPluginKit

/// A describer that asks a description (vision) service over HTTP, asynchronously (libcurl
/// multi: no thread waits per request). Speaks the description contract:
///   endpoint = "visual-context" → GET {url}/visual-context/{session} → {"visual_context", "available"}
///   endpoint = "user-description" → GET {url}/api/get-user-description → {"success", "user_description"}
/// Config: url (required; several instances: `url = "http://a:5003, http://b:5003"`, tried in
/// order or spread, a failing one ejected for eject_ms — see `EndpointPool`), endpoint,
/// timeout_ms (per try, default 5000; the host's deadline bounds all tries together).
/// Every failure (unreachable, slow, 5xx, invalid JSON, missing fields, available:false) ends in
/// an error the host turns into an empty description and casual_friendly.
///
/// Vision mode (`mode = "openai-vision"`): sends a camera frame to an OpenAI-compatible vision
/// chat server (vLLM, llama.cpp server, Ollama's /v1, hosted APIs) with a describe prompt and uses
/// the reply as the description. The frame is the query's `image` (base64), else `snapshot_url`.
/// Config: url (server base), model, prompt, snapshot_url, api_key / api_key_env, timeout_ms.
final class VLMClient: AsyncDescriberPlugin {
    enum Endpoint: String { case visualContext = "visual-context", userDescription = "user-description" }

    static let defaultPrompt = """
        Describe the person in front of the camera in one short sentence for a museum guide: apparent age group \
        (child, adult, elderly), clothing (e.g. school uniform, suit, casual) and anything notable such as a walking \
        stick or wheelchair. Describe only what is visible; if nobody is visible, answer with an empty line.
        """

    private var vision: ChatBackend?
    private var visionPrompt = VLMClient.defaultPrompt
    private var snapshotURL: String?

    private let endpoints: EndpointPool
    private var baseURL: String { endpoints.urls[0] }
    private let endpoint: Endpoint
    private let timeoutMilliseconds: Int
    private let host: HostServices
    private let client = CurlHTTPClient.shared

    init(host: HostServices, config: PluginConfig) throws {
        self.host = host
        guard let urls = try EndpointPool.urls(config, key: "url") else {
            throw PluginError(.config, "config key 'url' must be an http:// or https:// URL of the description service (or several)")
        }
        endpoints = try EndpointPool(urls: urls, config: config)
        let name = try config.string("endpoint", default: Endpoint.visualContext.rawValue)
        guard let e = Endpoint(rawValue: name) else {
            throw PluginError(.config, "config key 'endpoint' must be \"visual-context\" or \"user-description\", found \"\(name)\"")
        }
        endpoint = e
        timeoutMilliseconds = max(1, try config.int("timeout_ms", default: 5000))
        switch try config.string("mode", default: "contract") {
        case "contract": break
        case "openai-vision":
            guard let model = try config.string("model"), !model.isEmpty else {
                throw PluginError(.config, "mode \"openai-vision\" needs config key 'model' (the vision model's name)")
            }
            var key = try config.string("api_key").flatMap { $0.isEmpty ? nil : $0 }
            if key == nil { key = ProcessInfo.processInfo.environment[try config.string("api_key_env", default: "OPENAI_API_KEY")] }
            vision = ChatBackend(api: .openAI, baseURL: baseURL, model: model, apiKey: key, defaultTemperature: 0)
            visionPrompt = try config.string("prompt", default: VLMClient.defaultPrompt)
            snapshotURL = try config.string("snapshot_url").flatMap { $0.isEmpty ? nil : $0 }
        case let other:
            throw PluginError(.config, "config key 'mode' must be \"contract\" or \"openai-vision\", found \"\(other)\"")
        }
        host.log(.info, "VLM client for \(urls.joined(separator: ", ")) (\(endpoint.rawValue)\(urls.count > 1 ? ", \(endpoints.order.rawValue)" : ""))")
    }

    func describe(_ request: DescribeRequest, sink: CallSink, completion: @escaping (Result<String, PluginError>) -> Void) {
        if let vision {
            describeFrame(request, backend: vision, sink: sink, completion: completion)
            return
        }
        let session = request.sessionID.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed.subtracting(["/"])) ?? "default"
        attempt(endpoints.plan()[...], session: session, sink: sink, failures: [], completion: completion)
    }

    /// One try on the first endpoint of `plan`; a failure that is the endpoint's (unreachable,
    /// timed out, 5xx) ejects it and tries the next while the host's deadline allows.
    private func attempt(_ plan: ArraySlice<Int>, session: String, sink: CallSink, failures: [String],
                         completion: @escaping (Result<String, PluginError>) -> Void) {
        guard let index = plan.first else {
            completion(.failure(PluginError(.unavailable, "description service: \(failures.joined(separator: "; "))")))
            return
        }
        let base = endpoints.urls[index]
        let url = endpoint == .visualContext ? "\(base)/visual-context/\(session)" : "\(base)/api/get-user-description"
        let remaining = sink.remainingMilliseconds.map { Int(min($0, UInt64(Int.max))) } ?? Int.max
        guard remaining > 0, !sink.isCancelled else {
            completion(.failure(PluginError(.timeout, "description service: no time left after \(failures.joined(separator: "; "))")))
            return
        }
        let budget = min(timeoutMilliseconds, remaining)
        let endpoint = self.endpoint, endpoints = self.endpoints
        let state = PendingCall()
        let transfer = client.fetch(.init(url: url, headers: ["Accept: application/json"], timeoutMilliseconds: budget)) { [weak self] result in
            state.complete {
                var outcome: Result<String, PluginError>
                switch result {
                case .failure(let f):
                    let code: PluginError.Code = f.kind == .timeout ? .timeout : f.kind == .cancelled ? .cancelled : .unavailable
                    outcome = .failure(PluginError(code, "description service \(base): \(f.message)"))
                case .success(let (status, body)):
                    outcome = Self.parse(status: status, body: body, endpoint: endpoint)
                    if status >= 500, case .failure(let e) = outcome { outcome = .failure(PluginError(e.code, "\(base): \(e.message)")) }
                }
                let endpointFailed: Bool
                switch (result, outcome) {
                case (.failure(let f), _): endpointFailed = f.kind != .cancelled
                case (.success(let (status, _)), .failure): endpointFailed = status >= 500
                default: endpointFailed = false
                }
                if endpointFailed, plan.count > 1, let self, case .failure(let e) = outcome {
                    endpoints.failed(index)
                    self.host.log(.warning, "description service \(base) failed (\(e.message)); trying the next instance")
                    self.attempt(plan.dropFirst(), session: session, sink: sink, failures: failures + [e.message], completion: completion)
                    return
                }
                if endpointFailed { endpoints.failed(index) } else { endpoints.succeeded(index) }
                completion(outcome)
            }
        }
        // Cancellation: the host may give up (deadline, client gone) before the service answers.
        PendingCall.watch(state, sink: sink, transfer: transfer)
    }

    /// Vision mode: one chat turn with the frame attached; the reply is the description.
    private func describeFrame(_ request: DescribeRequest, backend: ChatBackend, sink: CallSink,
                               completion: @escaping (Result<String, PluginError>) -> Void) {
        guard let image = request.imageBase64.isEmpty ? snapshotURL : request.imageBase64 else {
            completion(.failure(PluginError(.invalidArgument, "no camera frame: send `image` with the query or set snapshot_url")))
            return
        }
        let budget = min(timeoutMilliseconds, sink.remainingMilliseconds.map { Int(min($0, UInt64(Int.max))) } ?? Int.max)
        let state = PendingCall()
        let collected = Collected()
        let transfer = ChatStream.start(backend, messages: [ChatBackend.Message(role: "user", content: visionPrompt, images: [image])],
                                        temperature: 0, maxTokens: 120, timeoutMilliseconds: budget,
                                        onText: { collected.append($0); return true }) { result in
            state.complete {
                switch result {
                case .success:
                    let text = collected.value.trimmingCharacters(in: .whitespacesAndNewlines)
                    completion(text.isEmpty ? .failure(PluginError(.unavailable, "the vision model saw nobody")) : .success(text))
                case .failure(let f):
                    completion(.failure(PluginError(f.kind == .timeout ? .timeout : .unavailable, "vision model: \(f.message)")))
                }
            }
        }
        PendingCall.watch(state, sink: sink, transfer: transfer)
    }

    private final class Collected: @unchecked Sendable {
        private let lock = NSLock()
        private var text = ""
        func append(_ s: String) { lock.lock(); text += s; lock.unlock() }
        var value: String { lock.lock(); defer { lock.unlock() }; return text }
    }

    static func parse(status: Int, body: Data, endpoint: Endpoint) -> Result<String, PluginError> {
        guard (200..<300).contains(status) else {
            return .failure(PluginError(.unavailable, "description service answered HTTP \(status)"))
        }
        guard let object = try? JSONSerialization.jsonObject(with: body) as? [String: Any] else {
            return .failure(PluginError(.badResponse, "description service answered invalid JSON"))
        }
        switch endpoint {
        case .visualContext:
            guard let available = object["available"] as? Bool else {
                return .failure(PluginError(.badResponse, "description service answer lacks 'available'"))
            }
            guard available, let text = object["visual_context"] as? String else {
                return .failure(PluginError(.unavailable, "description service has no visual context for this session"))
            }
            return .success(text)
        case .userDescription:
            guard let text = object["user_description"] as? String else {
                return .failure(PluginError(.badResponse, "description service answer lacks 'user_description'"))
            }
            if let ok = object["success"] as? Bool, !ok {
                return .failure(PluginError(.unavailable, "description service reported success=false"))
            }
            return .success(text)
        }
    }
}

private let export = PluginExport.asyncDescriber(
    id: "tonehost.describer.vlm-client", version: "1.0",
    description: "Visitor descriptions from a description/VLM service over HTTP (async, libcurl)") { host, config in
    try VLMClient(host: host, config: config)
}

@_cdecl("tonehost_plugin_entry")
public func tonehostPluginEntry() -> UnsafeRawPointer { export.descriptor }
