import CTonehostABI

/// The plugin kinds of the ABI, as manifests spell them.
public enum PluginKind: String, Sendable, CaseIterable {
    case describer
    case toneSelector = "tone_selector"
    case tone
    case llm
    case retriever
    case embedder

    init?(abi: tonehost_kind) {
        switch abi {
        case TONEHOST_KIND_DESCRIBER: self = .describer
        case TONEHOST_KIND_TONE_SELECTOR: self = .toneSelector
        case TONEHOST_KIND_TONE: self = .tone
        case TONEHOST_KIND_LLM: self = .llm
        case TONEHOST_KIND_RETRIEVER: self = .retriever
        case TONEHOST_KIND_EMBEDDER: self = .embedder
        default: return nil
        }
    }

    /// Roles the pipeline cannot work without: start-up stops when one is missing.
    public var isRequiredRole: Bool { self == .llm || self == .retriever }
}
