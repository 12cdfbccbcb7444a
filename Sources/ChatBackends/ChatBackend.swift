import CurlHTTP
import Foundation

/// A chat-completion backend over HTTP: Ollama (`POST /api/chat`, NDJSON stream) or any
/// OpenAI-compatible server (`POST /v1/chat/completions`, SSE stream: vLLM, llama.cpp server,
/// LM Studio, hosted APIs). Builds requests and parses streams; transport is CurlHTTPClient.
public struct ChatBackend: Sendable {
    public enum API: String, Sendable { case ollama, openAI = "openai" }

    public struct Message: Sendable {
        public var role: String
        public var content: String
        /// Base64 images (vision models).
        public var images: [String]
        public init(role: String, content: String, images: [String] = []) {
            self.role = role; self.content = content; self.images = images
        }
    }

    public var api: API
    public var baseURL: String
    public var model: String
    /// Sent as `Authorization: Bearer …`; never logged, never echoed in errors.
    public var apiKey: String?
    public var keepAlive: String?
    public var defaultTemperature: Double?

    public init(api: API, baseURL: String, model: String, apiKey: String? = nil, keepAlive: String? = nil, defaultTemperature: Double? = nil) {
        self.api = api
        self.baseURL = baseURL.hasSuffix("/") ? String(baseURL.dropLast()) : baseURL
        self.model = model
        self.apiKey = apiKey
        self.keepAlive = keepAlive
        self.defaultTemperature = defaultTemperature
    }

    /// The streaming chat request.
    public func chatRequest(_ messages: [Message], temperature: Double?, maxTokens: Int?, timeoutMilliseconds: Int?) -> CurlHTTPClient.Request {
        var body: [String: Any] = ["model": model, "stream": true]
        let t = temperature ?? defaultTemperature
        switch api {
        case .ollama:
            body["messages"] = messages.map { m -> [String: Any] in
                var o: [String: Any] = ["role": m.role, "content": m.content]
                if !m.images.isEmpty { o["images"] = m.images }
                return o
            }
            var options: [String: Any] = [:]
            if let t { options["temperature"] = t }
            if let maxTokens { options["num_predict"] = maxTokens }
            if !options.isEmpty { body["options"] = options }
            if let keepAlive { body["keep_alive"] = keepAlive }
        case .openAI:
            body["messages"] = messages.map { m -> [String: Any] in
                if m.images.isEmpty { return ["role": m.role, "content": m.content] }
                var parts: [[String: Any]] = [["type": "text", "text": m.content]]
                for image in m.images {
                    let url = image.hasPrefix("http") || image.hasPrefix("data:") ? image : "data:image/jpeg;base64,\(image)"
                    parts.append(["type": "image_url", "image_url": ["url": url]])
                }
                return ["role": m.role, "content": parts]
            }
            if let t { body["temperature"] = t }
            if let maxTokens { body["max_tokens"] = maxTokens }
        }
        let data = (try? JSONSerialization.data(withJSONObject: body)) ?? Data()
        return CurlHTTPClient.Request(url: chatURL, method: "POST",
                                      headers: headers(), body: data, timeoutMilliseconds: timeoutMilliseconds)
    }

    /// OPENAI_BASE_URL conventionally ends in /v1 ("https://api.openai.com/v1"); accept both.
    public var chatURL: String {
        switch api {
        case .ollama: return baseURL + "/api/chat"
        case .openAI: return baseURL + (baseURL.hasSuffix("/v1") ? "/chat/completions" : "/v1/chat/completions")
        }
    }

    /// A cheap request that makes the backend load the model (Ollama) or proves it answers (OpenAI).
    public func warmupRequest(timeoutMilliseconds: Int) -> CurlHTTPClient.Request {
        switch api {
        case .ollama:
            var body: [String: Any] = ["model": model, "messages": [] as [Any], "stream": false]
            if let keepAlive { body["keep_alive"] = keepAlive }
            return .init(url: baseURL + "/api/chat", method: "POST", headers: headers(),
                         body: try? JSONSerialization.data(withJSONObject: body), timeoutMilliseconds: timeoutMilliseconds)
        case .openAI:
            return .init(url: baseURL + (baseURL.hasSuffix("/v1") ? "/models" : "/v1/models"), headers: headers(),
                         timeoutMilliseconds: timeoutMilliseconds)
        }
    }

    private func headers() -> [String] {
        var h = ["Content-Type: application/json", "Accept: application/x-ndjson, text/event-stream, application/json"]
        if let apiKey, !apiKey.isEmpty { h.append("Authorization: Bearer \(apiKey)") }
        return h
    }

    public func makeParser() -> ChatStreamParser { ChatStreamParser(api: api) }
}

/// Incremental parser of a chat stream: feed bytes, get text deltas, the end, or an error.
public struct ChatStreamParser: Sendable {
    public enum Event: Equatable, Sendable {
        case text(String)
        case done
        case error(String)
    }

    let api: ChatBackend.API
    private var buffer = Data()
    /// Lines that were not understood (malformed), for the error message at the end.
    public private(set) var malformedLines = 0
    public private(set) var sawAnyEvent = false

    init(api: ChatBackend.API) { self.api = api }

    public mutating func push(_ data: Data) -> [Event] {
        buffer.append(data)
        var events: [Event] = []
        while let newline = buffer.firstIndex(of: 0x0A) {
            let lineData = buffer[buffer.startIndex..<newline]
            buffer.removeSubrange(buffer.startIndex...newline)
            let line = String(decoding: lineData, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
            if line.isEmpty { continue }
            if let e = parse(line) {
                sawAnyEvent = true
                events.append(e)
            }
        }
        return events
    }

    /// The rest of the buffer at the end of the body (a last line without newline).
    public mutating func finish() -> [Event] {
        let line = String(decoding: buffer, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        buffer.removeAll()
        guard !line.isEmpty, let e = parse(line) else { return [] }
        sawAnyEvent = true
        return [e]
    }

    private mutating func parse(_ line: String) -> Event? {
        switch api {
        case .ollama:
            guard let o = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any] else {
                malformedLines += 1
                return nil
            }
            if let error = o["error"] as? String { return .error(error) }
            if (o["done"] as? Bool) == true {
                if let c = (o["message"] as? [String: Any])?["content"] as? String, !c.isEmpty { return .text(c) }
                return .done
            }
            if let c = (o["message"] as? [String: Any])?["content"] as? String { return .text(c) }
            malformedLines += 1
            return nil
        case .openAI:
            if line.hasPrefix(":") { return nil }  // SSE comment / keep-alive
            guard line.hasPrefix("data:") else {
                // A non-SSE body is an error document: {"error": {"message": …}}.
                if let o = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
                   let message = ((o["error"] as? [String: Any])?["message"] as? String) ?? (o["error"] as? String) {
                    return .error(message)
                }
                if line.hasPrefix("event:") || line.hasPrefix("id:") || line.hasPrefix("retry:") { return nil }
                malformedLines += 1
                return nil
            }
            let payload = line.dropFirst(5).trimmingCharacters(in: .whitespaces)
            if payload == "[DONE]" { return .done }
            guard let o = try? JSONSerialization.jsonObject(with: Data(payload.utf8)) as? [String: Any] else {
                malformedLines += 1
                return nil
            }
            if let e = o["error"] as? [String: Any] { return .error(e["message"] as? String ?? "error") }
            guard let choices = o["choices"] as? [[String: Any]], let first = choices.first else { return nil }
            if let c = (first["delta"] as? [String: Any])?["content"] as? String { return c.isEmpty ? nil : .text(c) }
            if let c = (first["message"] as? [String: Any])?["content"] as? String { return .text(c) }
            return nil
        }
    }
}
