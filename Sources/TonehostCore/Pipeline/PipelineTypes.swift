import Foundation
import TonehostText

/// One visitor question, as the pipeline needs it (independent of HTTP or the CLI).
public struct PipelineRequest: Sendable {
    public var question: String
    public var sessionID: String
    /// Earlier turns of the session, oldest first; assistant turns are original (pre-tone) answers.
    public var history: [ChatMessage]
    /// A description sent by the client; non-empty skips the describer.
    public var userDescription: String?
    public var convertTone: Bool
    /// A camera frame for the describer (base64), or "".
    public var imageBase64: String
    /// Whether this is the session's first message (the tone may greet by appearance); nil:
    /// derived from `history` being empty. Set it when history is not used for the prompt.
    public var firstMessage: Bool?
    /// A tone category the client chose (the OpenAI façade's model name); when a loaded tone
    /// plugin serves it, the selector is skipped. Nil: the selector chooses.
    public var tone: String?

    var isFirstMessage: Bool { firstMessage ?? history.isEmpty }

    public init(question: String, sessionID: String = "default", history: [ChatMessage] = [], userDescription: String? = nil,
                convertTone: Bool = true, imageBase64: String = "", firstMessage: Bool? = nil, tone: String? = nil) {
        self.question = question
        self.sessionID = sessionID
        self.history = history
        self.userDescription = userDescription
        self.convertTone = convertTone
        self.imageBase64 = imageBase64
        self.firstMessage = firstMessage
        self.tone = tone
    }
}

/// Deadlines and sizes of the pipeline's stages. A stage's manifest `deadline_ms` wins over these.
public struct PipelineSettings: Sendable {
    public var describerDeadline: Duration = .seconds(5)
    public var selectorDeadline: Duration = .seconds(5)
    public var retrievalDeadline: Duration? = .seconds(10)
    /// None by default (MISSION §7: LLM timeout none).
    public var generationDeadline: Duration? = nil
    public var toneDeadline: Duration? = .seconds(30)
    /// Reuse a session's description for this long (DescriptionCache); nil: ask every time.
    public var descriptionCacheTTL: Duration? = nil
    /// Follow-up query rewriting (only with an llm manifest of role "rewrite").
    public var rewriteDeadline: Duration = .seconds(10)
    public var topK: Int = 6
    /// The knowledge base's language: a question in another language is also translated into
    /// it by the rewrite llm (when one is configured) and both queries are retrieved and fused.
    /// nil: questions are retrieved as asked.
    public var knowledgeLanguage: Language? = nil

    public init() {}
}

/// The tone chosen for a request, and why.
public struct ToneDecision: Sendable, Equatable {
    public enum DescriptionSource: String, Sendable {
        case client, describer, cache, none
    }

    public var category: String
    public var userDescription: String
    public var descriptionSource: DescriptionSource
    /// Set when a fallback was taken (the describer timed out, the selector answered 'pirate').
    public var fallback: ToneFallback?

    /// The fallback as a person reads it ("plugin 'vlm' timed out: …").
    public var fallbackReason: String? { fallback?.description }

    public init(category: String, userDescription: String, descriptionSource: DescriptionSource, fallback: ToneFallback? = nil) {
        self.category = category
        self.userDescription = userDescription
        self.descriptionSource = descriptionSource
        self.fallback = fallback
    }
}

/// Why a request got no description or the default tone: a value until it is logged or labelled.
public enum ToneFallback: Sendable, Equatable, CustomStringConvertible {
    case noDescriber
    case emptyDescription
    case describerFailed(PipelineFailure)
    case noSelector
    /// The selector's answer (cut to 80 characters) names no loaded tone.
    case unknownCategory(String)
    case selectorFailed(PipelineFailure)
    /// convert-tone asked for a category no plugin serves.
    case noTonePlugin(String)

    public var description: String {
        switch self {
        case .noDescriber: return "no describer configured"
        case .emptyDescription: return "describer returned no description"
        case .describerFailed(let f), .selectorFailed(let f): return f.description
        case .noSelector: return "no tone selector configured"
        case .unknownCategory(let answer): return "selector answered '\(answer)', not a loaded tone"
        case .noTonePlugin(let category): return "no tone plugin for '\(category)'"
        }
    }

    /// The describer fallback's metric label (`tonehost_describer_fallbacks_total{reason}`):
    /// a small fixed set; nil for fallbacks that are not the describer's.
    public var describerLabel: String? {
        switch self {
        case .noDescriber: return "no_describer"
        case .emptyDescription: return "empty"
        case .describerFailed(let f): return f.isTimeout ? "timeout" : "error"
        default: return nil
        }
    }
}

/// Why a plugin call in the pipeline failed: the plugin's error, a cancellation, or another error.
public enum PipelineFailure: Error, Sendable, Equatable, CustomStringConvertible {
    case plugin(PluginCallError)
    case cancelled
    case other(String)

    public init(_ error: Error) {
        if let e = error as? PluginCallError {
            self = .plugin(e)
        } else if error is CancellationError {
            self = .cancelled
        } else {
            self = .other("\(error)")
        }
    }

    public var isTimeout: Bool {
        if case .plugin(let e) = self { return e.isTimeout }
        return false
    }

    public var description: String {
        switch self {
        case .plugin(let e): return e.description
        case .cancelled: return "request cancelled"
        case .other(let text): return text
        }
    }
}

/// What the pipeline streams to its caller, in order: `.tone` (when converting), `.text`…,
/// then either `.failure` or nothing, then always `.finished`.
public enum PipelineEvent: Sendable {
    case tone(ToneDecision)
    case text(String)
    /// The answer could not be completed (retriever or LLM failure); text already streamed stays valid.
    case failure(PipelineFailure)
    case finished(PipelineSummary)
    /// The request's time limit passed (`Pipeline.run(…, timeout:)`): nothing follows.
    case timedOut
}

public struct PipelineSummary: Sendable {
    /// The answer before tone conversion: what session history stores.
    public var originalAnswer: String
    public var tone: ToneDecision?
    public var failed: Bool
    /// Seconds per stage: "description", "retrieval", "generation", "tone", "total".
    public var timings: [String: Double]
    /// Manifest names of the plugins whose calls failed or timed out during the request (a
    /// fallback may have hidden the failure from the visitor), once per failed call.
    public var pluginFailures: [String] = []
}

/// Collects the plugins that failed during one request (any thread).
struct PluginFailureLog: Sendable {
    private let names = Locked<[String]>([])
    func record(_ plugin: String) { names.append(plugin) }
    func record(_ error: Error) {
        if let e = error as? PluginCallError, e.reason != .cancelled { record(e.plugin) }
    }
    var all: [String] { names.value }
}
