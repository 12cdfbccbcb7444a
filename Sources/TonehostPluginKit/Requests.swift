import CTonehostABI

/// Requests as Swift values, copied out of the host's borrowed C structs.
public struct DescribeRequest: Sendable {
    public var sessionID: String
    public var imageBase64: String
}

public struct SelectRequest: Sendable {
    public var userDescription: String
    public var language: String
    public var categories: [String]
}

public struct ToneRequest: Sendable {
    public var text: String
    public var userDescription: String
    public var userMessage: String
    public var language: String
    public var firstMessage: Bool
    public var segmentIndex: Int
    public var isFinal: Bool
    public var sessionID: String
}

public struct ChatMessage: Sendable {
    public var role: String
    public var content: String
    public init(role: String, content: String) {
        self.role = role
        self.content = content
    }
}

public struct LLMRequest: Sendable {
    public var purpose: String
    public var messages: [ChatMessage]
    public var question: String
    public var language: String
    public var passages: [PassageIn]
    /// nil = plugin default
    public var temperature: Double?
    public var maxTokens: Int?
}

public struct PassageIn: Sendable {
    public var id: String, title: String, content: String, source: String, language: String, score: Double
}

public struct RetrieveRequest: Sendable {
    public var query: String
    public var language: String
    public var topK: Int
}

@inline(__always) func str(_ p: UnsafePointer<CChar>?) -> String {
    guard let p else { return "" }
    return String(cString: p)
}

extension PassageIn {
    init(_ p: tonehost_passage) {
        self.init(id: str(p.id), title: str(p.title), content: str(p.content), source: str(p.source),
                  language: str(p.language), score: p.score)
    }
}

extension LLMRequest {
    init(_ r: tonehost_llm_request) {
        var messages: [ChatMessage] = []
        if let m = r.messages {
            for i in 0..<r.message_count { messages.append(ChatMessage(role: str(m[i].role), content: str(m[i].content))) }
        }
        var passages: [PassageIn] = []
        if let p = r.passages {
            for i in 0..<r.passage_count { passages.append(PassageIn(p[i])) }
        }
        self.init(purpose: str(r.purpose), messages: messages, question: str(r.question), language: str(r.language),
                  passages: passages, temperature: r.temperature < 0 ? nil : r.temperature,
                  maxTokens: r.max_tokens <= 0 ? nil : Int(r.max_tokens))
    }
}
