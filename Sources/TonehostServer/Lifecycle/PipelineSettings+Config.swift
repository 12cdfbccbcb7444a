import TonehostConfig
import TonehostCore
import TonehostText

extension PipelineSettings {
    /// Pipeline deadlines from the settings table; a plugin manifest's `deadline_ms` still wins
    /// over these. A describer or selector deadline of 0 keeps the pipeline's default.
    public init(config c: DaemonConfig) {
        self.init()
        describerDeadline = c[\.describerTimeoutMs] ?? describerDeadline
        selectorDeadline = c[\.selectorTimeoutMs] ?? selectorDeadline
        retrievalDeadline = c[\.retrievalTimeoutMs]
        generationDeadline = c[\.generationTimeoutMs]
        toneDeadline = c[\.toneTimeoutMs]
        let ttl = c[\.descriptionCacheSeconds]
        descriptionCacheTTL = ttl > .zero ? ttl : nil
        knowledgeLanguage = Language(tag: c[\.knowledgeLanguage])  // "none": nil
    }
}
