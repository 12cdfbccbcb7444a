import Foundation

/// The JSON of the chat APIs as typed bodies: what is sent (`ChatRequestBody`) and each line of
/// a stream (`OllamaChunk`, `OpenAIChunk`), through one encoder and one decoder.
enum ChatJSON {
    static func encode(_ value: some Encodable) -> Data {
        (try? JSONEncoder().encode(value)) ?? Data("{}".utf8)
    }

    static func decode<T: Decodable>(_ type: T.Type, _ bytes: some Collection<UInt8>) -> T? {
        try? JSONDecoder().decode(type, from: Data(bytes))
    }

    /// `bytes` without leading and trailing ASCII whitespace.
    static func trimmed(_ bytes: Data.SubSequence) -> Data.SubSequence {
        func isSpace(_ b: UInt8) -> Bool { b == 0x20 || b == 0x09 || b == 0x0A || b == 0x0D }
        guard let first = bytes.firstIndex(where: { !isSpace($0) }), let last = bytes.lastIndex(where: { !isSpace($0) }) else {
            return bytes[bytes.endIndex...]
        }
        return bytes[first...last]
    }
}

/// `POST /api/chat` (Ollama) or `POST /v1/chat/completions` (OpenAI-compatible).
struct ChatRequestBody: Encodable {
    let api: ChatBackend.API
    let model: String
    let messages: [ChatBackend.Message]
    let temperature: Double?
    let maxTokens: Int?
    let keepAlive: String?
    var stream = true

    private enum Key: String, CodingKey {
        case model, stream, messages, options, temperature, role, content, images, type, text, url
        case numPredict = "num_predict", keepAlive = "keep_alive", maxTokens = "max_tokens", imageURL = "image_url"
    }

    func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: Key.self)
        try c.encode(model, forKey: .model)
        try c.encode(stream, forKey: .stream)
        var list = c.nestedUnkeyedContainer(forKey: .messages)
        switch api {
        case .ollama:
            for m in messages {
                var o = list.nestedContainer(keyedBy: Key.self)
                try o.encode(m.role, forKey: .role)
                try o.encode(m.content, forKey: .content)
                if !m.images.isEmpty { try o.encode(m.images, forKey: .images) }
            }
            if temperature != nil || maxTokens != nil {
                var options = c.nestedContainer(keyedBy: Key.self, forKey: .options)
                try options.encodeIfPresent(temperature, forKey: .temperature)
                try options.encodeIfPresent(maxTokens, forKey: .numPredict)
            }
            try c.encodeIfPresent(keepAlive, forKey: .keepAlive)
        case .openAI:
            for m in messages {
                var o = list.nestedContainer(keyedBy: Key.self)
                try o.encode(m.role, forKey: .role)
                if m.images.isEmpty {
                    try o.encode(m.content, forKey: .content)
                    continue
                }
                var parts = o.nestedUnkeyedContainer(forKey: .content)
                var text = parts.nestedContainer(keyedBy: Key.self)
                try text.encode("text", forKey: .type)
                try text.encode(m.content, forKey: .text)
                for image in m.images {
                    let url = image.hasPrefix("http") || image.hasPrefix("data:") ? image : "data:image/jpeg;base64,\(image)"
                    var part = parts.nestedContainer(keyedBy: Key.self)
                    try part.encode("image_url", forKey: .type)
                    var inner = part.nestedContainer(keyedBy: Key.self, forKey: .imageURL)
                    try inner.encode(url, forKey: .url)
                }
            }
            try c.encodeIfPresent(temperature, forKey: .temperature)
            try c.encodeIfPresent(maxTokens, forKey: .maxTokens)
        }
    }
}

/// One NDJSON line of Ollama's `/api/chat` stream.
struct OllamaChunk: Decodable {
    struct Message: Decodable { let content: String? }
    let message: Message?
    let done: Bool?
    let error: String?
}

/// An OpenAI error: `{"message": …}` or, from some servers, a bare string.
struct OpenAIError: Decodable {
    let message: String?

    init(from decoder: any Decoder) throws {
        if let text = try? decoder.singleValueContainer().decode(String.self) {
            message = text
            return
        }
        enum Key: String, CodingKey { case message }
        message = try decoder.container(keyedBy: Key.self).decodeIfPresent(String.self, forKey: .message)
    }
}

/// A non-SSE body of an OpenAI-compatible server: an error document.
struct OpenAIErrorDocument: Decodable {
    let error: OpenAIError?
}

/// One `data:` payload of an OpenAI-compatible stream.
struct OpenAIChunk: Decodable {
    struct Choice: Decodable {
        struct Content: Decodable { let content: String? }
        let delta: Content?
        let message: Content?
    }
    let choices: [Choice]?
    let error: OpenAIError?
}
