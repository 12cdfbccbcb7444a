import TonehostText

/// The four built-in tone categories. The raw value is the category name used in manifests,
/// on the wire and by tone selectors.
public enum ToneCategory: String, CaseIterable, Sendable {
    case child = "child_friendly", elder = "elder_friendly", professional = "professional_friendly", casual = "casual_friendly"
}

/// What a tone converter knows about the conversation besides the text it rewrites.
public struct ToneContext: Sendable {
    /// The camera-side description of the visitor; "" when unknown.
    public var userDescription: String
    /// The visitor's question.
    public var userMessage: String
    /// The language of the answer (greetings and closing lines are written in it).
    public var language: Language
    /// First message of the session: the converter greets the visitor by their appearance.
    public var firstMessage: Bool
    public var sessionID: String

    public init(userDescription: String, userMessage: String, language: Language, firstMessage: Bool, sessionID: String) {
        self.userDescription = userDescription
        self.userMessage = userMessage
        self.language = language
        self.firstMessage = firstMessage
        self.sessionID = sessionID
    }
}
