/// The values the host, its plugins and its stores hand each other — one copy of each.

/// One message of a conversation: a chat handed to an LLM, a turn of session history.
public struct ChatMessage: Sendable, Equatable, Codable {
    public var role: String
    public var content: String

    public init(role: String, content: String) {
        self.role = role
        self.content = content
    }
}

/// A passage a retriever found (what an LLM is handed as context), best first.
public struct RetrievedPassage: Sendable, Equatable {
    public var id: String
    public var title: String
    public var content: String
    public var source: String
    /// "zh", "en", … ("" when unknown).
    public var language: String
    /// Ranking score (higher is better); only its order relative to the others matters.
    public var score: Double

    public init(id: String, title: String, content: String, source: String, language: String, score: Double) {
        self.id = id; self.title = title; self.content = content; self.source = source; self.language = language; self.score = score
    }
}

/// What a tone is told about one text it converts — the host's `ToneInput` and the plugin
/// kit's `ToneRequest` both carry one (and read its fields through dynamic member lookup).
public struct ToneSegment: Sendable, Equatable {
    public var text: String
    public var userDescription: String
    public var userMessage: String
    public var language: String
    /// The session's first answer (greet the visitor).
    public var firstMessage: Bool
    /// The segment's position in the answer (0 for the first sentence).
    public var segmentIndex: Int
    /// The answer's last segment (close it).
    public var isFinal: Bool
    public var sessionID: String

    public init(text: String, userDescription: String, userMessage: String, language: String, firstMessage: Bool,
                segmentIndex: Int, isFinal: Bool, sessionID: String) {
        self.text = text; self.userDescription = userDescription; self.userMessage = userMessage; self.language = language
        self.firstMessage = firstMessage; self.segmentIndex = segmentIndex; self.isFinal = isFinal; self.sessionID = sessionID
    }
}

/// What an LLM plugin is asked to generate: the host's `GenerationInput`, a plugin's `LLMRequest`.
public struct LLMRequest: Sendable {
    public var purpose: String
    public var messages: [ChatMessage]
    public var question: String
    public var language: String
    public var passages: [RetrievedPassage]
    /// nil = plugin default
    public var temperature: Double?
    public var maxTokens: Int?

    public init(purpose: String, messages: [ChatMessage], question: String, language: String, passages: [RetrievedPassage],
                temperature: Double? = nil, maxTokens: Int? = nil) {
        self.purpose = purpose; self.messages = messages; self.question = question; self.language = language
        self.passages = passages; self.temperature = temperature; self.maxTokens = maxTokens
    }
}

/// What a text is embedded for: asymmetric models embed questions and passages differently.
public enum EmbeddingPurpose: String, Sendable, CaseIterable {
    case query
    case document
}

/// One text's vector and the model that made it ("ollama:bge-m3"): vectors of different
/// models are never compared.
public struct Embedding: Sendable, Equatable {
    public var model: String
    public var values: [Float]

    public init(model: String, values: [Float]) {
        self.model = model
        self.values = values
    }
}
