import TonehostText
import TonehostTypes

/// A passage's candidate sentences as the answerer reads them — split, trimmed, filtered,
/// their terms and language — computed once per distinct passage text instead of on every
/// question (retrieval hands the same passages back again and again). Bounded; thread-safe.
final class PassageSentences: @unchecked Sendable {
    struct Sentence {
        /// Position among the passage's sentences (counting the ones set aside).
        let index: Int
        let text: String
        let terms: Set<String>
        /// The sentence's own language; nil when it has no letters (the passage's is used).
        let language: Language?
        /// What it offers the question kinds (a year, a place, a person, …).
        let features: SentenceFeatures
        /// The text as scalars, for the subject checks.
        let scalars: [Unicode.Scalar]
    }

    static let shared = PassageSentences(capacity: 4096)

    private let capacity: Int
    private let cache = Locked<[String: [Sentence]]>([:])

    init(capacity: Int) { self.capacity = capacity }

    func sentences(of content: String) -> [Sentence] {
        if let hit = cache.value[content] { return hit }
        let prepared = Self.prepare(content)
        cache.mutate { map in
            if map.count >= capacity { map.removeAll(keepingCapacity: true) }  // a new knowledge base: start over
            map[content] = prepared
        }
        return prepared
    }

    static func prepare(_ content: String) -> [Sentence] {
        var out: [Sentence] = []
        for (index, raw) in SentenceSplitter.split(content).enumerated() {
            let text = raw.trimmingWhitespace()
            guard text.count >= 4, !ExtractiveAnswerer.isQuestion(text) else { continue }
            let terms = Set(SearchTerms.terms(text).map(SearchTerms.stem))
            guard terms.count >= 2 else { continue }
            let hasLetters = text.unicodeScalars.contains { $0.properties.isAlphabetic }
            out.append(Sentence(index: index, text: text, terms: terms, language: hasLetters ? LanguageDetector.detect(text) : nil,
                                features: SentenceFeatures(text), scalars: Array(text.unicodeScalars)))
        }
        return out
    }
}
