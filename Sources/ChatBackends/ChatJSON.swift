import Foundation

/// The JSON of the chat APIs: what is sent is a typed body (`ChatRequestBody`) through
/// JSONEncoder; each line of a stream is read with `JSONLite` (one small object per token).
enum ChatJSON {
    static func encode(_ value: some Encodable) -> Data {
        (try? JSONEncoder().encode(value)) ?? Data("{}".utf8)
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
