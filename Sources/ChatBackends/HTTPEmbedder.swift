import CurlHTTP
import Foundation
import TonehostPluginKit

/// The `embedder` plugin behind embedder-ollama (`POST /api/embed`) and embedder-openai
/// (`POST /v1/embeddings`: vLLM, llama.cpp server, TEI, hosted APIs), asynchronous on
/// CurlHTTP: no host thread waits per batch. Each call's deadline bounds its transfer and a
/// cancelled call cancels it.
/// Config: base_url (several instances: comma-separated or an array, tried in order or spread,
/// a failing one ejected for eject_ms — see `EndpointPool`; a batch moves to the next instance
/// when one is unreachable, times out or answers an HTTP error), model (required), timeout_ms, keep_alive (Ollama), api_key / api_key_env
/// (OpenAI-compatible), query_prefix / document_prefix (asymmetric models: "query: ",
/// "passage: " for e5), dimensions (OpenAI `dimensions`, models that can shorten vectors).
public final class HTTPEmbedder: AsyncEmbedderPlugin {
    public let api: ChatBackend.API
    let endpoints: EndpointPool
    let model: String
    let apiKey: String?
    let keepAlive: String?
    let timeoutMilliseconds: Int?
    let queryPrefix: String
    let documentPrefix: String
    let dimensions: Int?
    let host: HostServices

    /// The identity recorded with the vectors: vectors of another identity are never compared.
    public var modelIdentity: String {
        var id = "\(api.rawValue):\(model)"
        if let dimensions { id += "@\(dimensions)" }
        if !documentPrefix.isEmpty || !queryPrefix.isEmpty { id += "+prefixed" }
        return id
    }

    public init(api: ChatBackend.API, host: HostServices, config: PluginConfig, environment: [String: String] = ProcessInfo.processInfo.environment) throws {
        self.api = api
        self.host = host
        var bases: [String]
        switch api {
        case .ollama:
            bases = try HTTPChatLLM.baseURLs(config) ?? [environment["OLLAMA_HOST"].flatMap { $0.isEmpty ? nil : $0 } ?? "http://127.0.0.1:11434"]
            bases = bases.map { $0.contains("://") ? $0 : "http://" + $0 }  // OLLAMA_HOST may be "host:port"
        case .openAI:
            bases = try HTTPChatLLM.baseURLs(config) ?? [environment["OPENAI_BASE_URL"] ?? "https://api.openai.com/v1"]
        }
        bases = bases.map { var b = $0; while b.hasSuffix("/") { b.removeLast() }; return b }
        endpoints = try EndpointPool(urls: bases, config: config)
        guard let model = try config.string("model"), !model.isEmpty else {
            throw PluginError(.config, "config key 'model' is required (e.g. model = \"bge-m3\")")
        }
        self.model = model
        var key: String?
        if api == .openAI {
            key = try config.string("api_key").flatMap { $0.isEmpty ? nil : $0 }
            if key == nil { key = environment[try config.string("api_key_env", default: "OPENAI_API_KEY")].flatMap { $0.isEmpty ? nil : $0 } }
        }
        apiKey = key
        keepAlive = try config.string("keep_alive").flatMap { $0.isEmpty ? nil : $0 }
        timeoutMilliseconds = try config.int("timeout_ms")
        queryPrefix = try config.string("query_prefix", default: "")
        documentPrefix = try config.string("document_prefix", default: "")
        dimensions = try config.int("dimensions")
        if let d = dimensions, d <= 0 { throw PluginError(.config, "config key 'dimensions' must be positive, found \(d)") }
        host.log(.info, "\(api == .ollama ? "Ollama" : "OpenAI-compatible") embedder \(bases.joined(separator: ", ")) model \(model)\(key == nil ? "" : " (API key set)")")
    }

    /// The request for one batch, to the instance at `baseURL` (the first by default).
    public func request(_ texts: [String], purpose: EmbeddingPurpose, timeoutMilliseconds: Int?, baseURL: String? = nil) -> CurlHTTPClient.Request {
        let baseURL = baseURL ?? endpoints.urls[0]
        let prefix = purpose == .query ? queryPrefix : documentPrefix
        let input = prefix.isEmpty ? texts : texts.map { prefix + $0 }
        var body: [String: Any] = ["model": model, "input": input]
        var headers = ["Content-Type: application/json"]
        let url: String
        switch api {
        case .ollama:
            url = baseURL + "/api/embed"
            body["truncate"] = true
            if let keepAlive { body["keep_alive"] = keepAlive }
        case .openAI:
            url = baseURL + (baseURL.hasSuffix("/v1") ? "/embeddings" : "/v1/embeddings")
            body["encoding_format"] = "float"
            if let dimensions { body["dimensions"] = dimensions }
            if let apiKey { headers.append("Authorization: Bearer \(apiKey)") }
        }
        let data = try! JSONSerialization.data(withJSONObject: body)
        return CurlHTTPClient.Request(url: url, method: "POST", headers: headers, body: data, timeoutMilliseconds: timeoutMilliseconds)
    }

    /// The vectors of a response, in the order of the texts.
    public func parse(_ body: Data, expected: Int) throws -> [[Float]] {
        guard let object = try? JSONSerialization.jsonObject(with: body) as? [String: Any] else {
            throw PluginError(.badResponse, "embedding response is not a JSON object: \(String(decoding: body.prefix(120), as: UTF8.self))")
        }
        var vectors: [[Float]]
        switch api {
        case .ollama:
            guard let list = object["embeddings"] as? [[Any]] else {
                throw PluginError(.badResponse, "Ollama embedding response has no \"embeddings\" list (keys: \(object.keys.sorted().joined(separator: ", ")))")
            }
            vectors = try list.map(Self.floats)
        case .openAI:
            guard let data = object["data"] as? [[String: Any]] else {
                throw PluginError(.badResponse, "embedding response has no \"data\" list (keys: \(object.keys.sorted().joined(separator: ", ")))")
            }
            vectors = Array(repeating: [], count: data.count)
            for (i, item) in data.enumerated() {
                let index = (item["index"] as? Int) ?? i
                guard index >= 0, index < data.count, let e = item["embedding"] as? [Any] else {
                    throw PluginError(.badResponse, "embedding response item \(i) has no \"embedding\" list or a bad \"index\"")
                }
                vectors[index] = try Self.floats(e)
            }
        }
        guard vectors.count == expected else {
            throw PluginError(.badResponse, "the backend returned \(vectors.count) vectors for \(expected) texts")
        }
        if let first = vectors.first, first.isEmpty || vectors.contains(where: { $0.count != first.count }) {
            throw PluginError(.badResponse, "the backend returned vectors of differing or zero dimension")
        }
        return vectors
    }

    static func floats(_ list: [Any]) throws -> [Float] {
        var out = [Float]()
        out.reserveCapacity(list.count)
        for v in list {
            // (Foundation on Linux bridges 0 and 1 to Bool too: only non-numbers are refused.)
            guard let n = v as? NSNumber else { throw PluginError(.badResponse, "an embedding holds a non-number: \(v)") }
            out.append(n.floatValue)
        }
        return out
    }

    public func embed(_ request: EmbedRequest, sink: CallSink,
                      completion: @escaping (Result<(model: String, vectors: [[Float]]), PluginError>) -> Void) {
        if request.texts.isEmpty {
            completion(.success((modelIdentity, [])))
            return
        }
        attempt(endpoints.plan()[...], request, sink: sink, failures: [], completion: completion)
    }

    /// One try of the batch at the first instance of `plan`; on an instance's fault (unreachable,
    /// timeout, HTTP error) the next one, while time is left.
    private func attempt(_ plan: ArraySlice<Int>, _ request: EmbedRequest, sink: CallSink, failures: [String],
                         completion: @escaping (Result<(model: String, vectors: [[Float]]), PluginError>) -> Void) {
        guard case let (index, timeout)? = EndpointPool.nextTry(plan, sink: sink, timeoutMilliseconds: timeoutMilliseconds,
                                                                 failures: failures, completion: completion) else { return }
        let state = PendingCall()
        let count = request.texts.count
        let identity = modelIdentity
        let base = endpoints.urls[index]
        let endpoints = self.endpoints
        let transfer = CurlHTTPClient.shared.fetch(self.request(request.texts, purpose: request.purpose, timeoutMilliseconds: timeout,
                                                                baseURL: base)) { [self] result in
            state.complete {
                var fault: PluginError?
                switch result {
                case .failure(let f):
                    let code: PluginError.Code
                    switch f.kind {
                    case .timeout: code = .timeout
                    case .cancelled: code = .cancelled
                    case .unreachable, .other: code = .unavailable
                    }
                    let error = PluginError(code, "embedding with \(model) at \(base) failed: \(f.message)")
                    guard code != .cancelled else { return completion(.failure(error)) }
                    fault = error
                case .success(let r) where !(200..<300).contains(r.status):
                    let hint = r.status == 404 && api == .ollama ? " (is the model pulled? `ollama pull \(model)`)" : ""
                    fault = PluginError(.unavailable, "embedding with \(model) at \(base) failed: HTTP \(r.status)\(ChatStream.errorDetail(r.body))\(hint)")
                case .success(let r):
                    endpoints.succeeded(index)
                    do {
                        completion(.success((identity, try parse(r.body, expected: count))))
                    } catch let e as PluginError {
                        completion(.failure(e))
                    } catch {
                        completion(.failure(PluginError(.badResponse, "\(error)")))
                    }
                    return
                }
                guard let fault else { return }
                endpoints.failed(index)
                if plan.count > 1 {
                    host.log(.warning, "\(fault.message); trying the next instance")
                    attempt(plan.dropFirst(), request, sink: sink, failures: failures + [fault.message], completion: completion)
                } else {
                    completion(.failure(failures.isEmpty ? fault : PluginError(fault.code, (failures + [fault.message]).joined(separator: "; "))))
                }
            }
        }
        PendingCall.watch(state, sink: sink, transfer: transfer)
    }

    public func warmup(sink: CallSink) throws -> String {
        let done = DispatchSemaphore(value: 0)
        let start = Date()
        var outcome: Result<(model: String, vectors: [[Float]]), PluginError>?
        embed(EmbedRequest(texts: ["warm-up"], purpose: .query), sink: sink) { outcome = $0; done.signal() }
        done.wait()
        switch outcome! {
        case .failure(let e): throw e
        case .success(let r):
            return "embedding model \(model) ready (\(r.vectors.first?.count ?? 0) dimensions) in \(Int(Date().timeIntervalSince(start) * 1000)) ms"
        }
    }
}
