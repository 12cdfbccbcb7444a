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
        let body = ChatRequestBody(api: api, model: model, messages: messages, temperature: temperature ?? defaultTemperature,
                                   maxTokens: maxTokens, keepAlive: keepAlive)
        return CurlHTTPClient.Request(url: chatURL, method: "POST", headers: headers(), body: ChatJSON.encode(body),
                                      timeoutMilliseconds: timeoutMilliseconds)
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
            let body = ChatRequestBody(api: api, model: model, messages: [], temperature: nil, maxTokens: nil, keepAlive: keepAlive, stream: false)
            return .init(url: baseURL + "/api/chat", method: "POST", headers: headers(),
                         body: ChatJSON.encode(body), timeoutMilliseconds: timeoutMilliseconds)
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
        var consumed = buffer.startIndex
        while let newline = buffer[consumed...].firstIndex(of: 0x0A) {
            if let e = parse(buffer[consumed..<newline]) {
                sawAnyEvent = true
                events.append(e)
            }
            consumed = buffer.index(after: newline)
        }
        buffer.removeSubrange(buffer.startIndex..<consumed)
        return events
    }

    /// The rest of the buffer at the end of the body (a last line without newline).
    public mutating func finish() -> [Event] {
        defer { buffer.removeAll() }
        guard let e = parse(buffer[...]) else { return [] }
        sawAnyEvent = true
        return [e]
    }

    /// One line of the stream (bytes, surrounding whitespace ignored).
    private mutating func parse(_ raw: Data.SubSequence) -> Event? {
        let line = ChatJSON.trimmed(raw)
        if line.isEmpty { return nil }
        switch api {
        case .ollama:
            guard let chunk = JSONLite.parse(line) else {
                malformedLines += 1
                return nil
            }
            if let error = chunk["error"]?.string { return .error(error) }
            let content = chunk["message"]?["content"]?.string
            if chunk["done"]?.bool == true {
                if let content, !content.isEmpty { return .text(content) }
                return .done
            }
            if let content { return .text(content) }
            malformedLines += 1
            return nil
        case .openAI:
            if line.first == UInt8(ascii: ":") { return nil }  // SSE comment / keep-alive
            guard line.starts(with: Self.dataPrefix) else {
                // A non-SSE body is an error document: {"error": {"message": …}} or {"error": "…"}.
                if let document = JSONLite.parse(line), let message = Self.errorMessage(document["error"]) { return .error(message) }
                if Self.ignoredFields.contains(where: { line.starts(with: $0) }) { return nil }
                malformedLines += 1
                return nil
            }
            let payload = ChatJSON.trimmed(line.dropFirst(Self.dataPrefix.count))
            if payload.elementsEqual(Self.done) { return .done }
            guard let chunk = JSONLite.parse(payload) else {
                malformedLines += 1
                return nil
            }
            if let error = chunk["error"], error != .null { return .error(Self.errorMessage(error) ?? "error") }
            guard let first = chunk["choices"]?.array?.first else { return nil }
            if let c = first["delta"]?["content"]?.string { return c.isEmpty ? nil : .text(c) }
            if let c = first["message"]?["content"]?.string { return .text(c) }
            return nil
        }
    }

    /// `{"message": …}` or a bare string.
    private static func errorMessage(_ error: JSONLite?) -> String? {
        error?.string ?? error?["message"]?.string
    }

    private static let dataPrefix = Array("data:".utf8)
    private static let done = Array("[DONE]".utf8)
    private static let ignoredFields = ["event:", "id:", "retry:"].map { Array($0.utf8) }
}
