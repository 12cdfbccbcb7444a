import Foundation
import TonehostText

/// A retrieved passage handed to the answerer, best first.
public struct SourcePassage: Sendable, Equatable {
    public var title: String
    public var content: String
    /// The passage's language when known (else each sentence's language is detected).
    public var language: Language?
    /// Retrieval score (higher is better); only its order relative to the others matters.
    public var score: Double

    public init(title: String, content: String, language: Language? = nil, score: Double = 0) {
        self.title = title
        self.content = content
        self.language = language
        self.score = score
    }
}

/// Composes a short answer from retrieved passages without a model, using only their
/// sentences (never invented text):
///
/// 1. Every passage is split into sentences (`SentenceSplitter`); questions and fragments
///    without two search terms are set aside.
/// 2. Each sentence is scored against the question's terms (`SearchTerms`): the share of the
///    question's IDF weight it covers (IDF over the candidate sentences, so a term present in
///    every sentence counts little and a term present nowhere counts most), plus a bonus for
///    its passage's retrieval rank and for being its passage's first sentence.
/// 3. Sentences in the answer language are used when any of them is relevant; the other
///    language only when none is.
/// 4. The question must be mostly covered (≥ 50 % of its weight) by the relevant sentences,
///    through at least one meaningful term — otherwise the answer is `noInformation`.
/// 5. The best sentences are taken — up to 3 in English, up to ~150 characters in Chinese —
///    skipping near-duplicates and weak sentences (< half the best score), and put back in
///    passage order, then text order. English sentences are joined with a space, Chinese
///    ones directly; a sentence without final punctuation gets "." / "。" so that the
///    answer still splits into the same sentences.
public enum ExtractiveAnswerer {
    /// Most sentences in an English answer.
    public static let maxEnglishSentences = 3
    /// Target length of a Chinese answer, in characters (the first sentence is always whole).
    public static let maxChineseCharacters = 150
    /// Share of the question's term weight the chosen sentences must cover.
    public static let minimumCoverage = 0.5

    public static func noInformation(_ language: Language) -> String {
        switch language {
        case .english: return "I don't have information about that."
        case .traditionalChinese: return "目前資料庫中沒有相關資料。"
        }
    }

    public static func answer(question: String, language: Language, passages: [SourcePassage]) -> String {
        let chosen = sentences(question: question, language: language, passages: passages)
        if chosen.isEmpty { return noInformation(language) }
        var out = ""
        for sentence in chosen {
            let isCJK = LanguageDetector.detect(sentence) == .traditionalChinese
            let text = endsWithTerminator(sentence) ? sentence : sentence + (isCJK ? "。" : ".")
            if !out.isEmpty {
                // A space between English sentences; none before or after a Chinese one.
                let previousCJK = out.unicodeScalars.last.map(LanguageDetector.isCJK) ?? false
                if !(previousCJK || (isCJK && language == .traditionalChinese)) { out += " " }
            }
            out += text
        }
        return out
    }

    /// The sentences `answer` would use, verbatim from the passages, in output order; [] when
    /// the passages do not answer the question.
    public static func sentences(question: String, language: Language, passages: [SourcePassage]) -> [String] {
        let questionTerms = queryTerms(question)
        if questionTerms.isEmpty || passages.isEmpty { return [] }

        // 1. Candidate sentences.
        var candidates: [Candidate] = []
        for (rank, passage) in passages.enumerated() {
            for (index, raw) in SentenceSplitter.split(passage.content).enumerated() {
                let text = raw.trimmingWhitespace()
                guard text.count >= 4, !isQuestion(text) else { continue }
                let terms = Set(SearchTerms.terms(text))
                guard terms.count >= 2 else { continue }
                let hasLetters = text.unicodeScalars.contains { $0.properties.isAlphabetic }
                let lang = hasLetters ? LanguageDetector.detect(text) : (passage.language ?? language)
                candidates.append(Candidate(text: text, terms: terms, language: lang, rank: rank, index: index))
            }
        }
        if candidates.isEmpty { return [] }

        // 2. IDF of the question terms over the candidates; weights; scores.
        let n = Double(candidates.count)
        var weight: [String: Double] = [:]
        for (term, termWeight) in questionTerms {
            let df = Double(candidates.reduce(0) { $0 + ($1.terms.contains(term) ? 1 : 0) })
            weight[term] = termWeight * log(1 + (n + 1) / (df + 0.5))
        }
        let totalWeight = weight.values.reduce(0, +)
        let meaningful = Set(questionTerms.filter { $0.weight >= 1 }.map(\.term))
        let scores = passages.map(\.score)
        let maxScore = scores.max() ?? 0, minScore = scores.min() ?? 0
        for i in candidates.indices {
            let matched = candidates[i].terms.intersection(weight.keys)
            candidates[i].matched = matched
            candidates[i].meaningful = !matched.isDisjoint(with: meaningful)
            candidates[i].coverage = matched.reduce(0) { $0 + weight[$1]! } / totalWeight
            let rank = candidates[i].rank
            var retrieval = 0.15 / Double(1 + rank)
            if maxScore > minScore { retrieval += 0.1 * (passages[rank].score - minScore) / (maxScore - minScore) }
            candidates[i].score = candidates[i].coverage + retrieval + (candidates[i].index == 0 ? 0.08 : 0)
        }

        // 3. The answer language first; the other only when it has nothing relevant.
        let relevant = candidates.filter { $0.meaningful && $0.coverage > 0 }
        var pool = relevant.filter { $0.language == language }
        if pool.isEmpty { pool = relevant }
        if pool.isEmpty { return [] }

        // 4. Enough of the question covered?
        let covered = pool.reduce(into: Set<String>()) { $0.formUnion($1.matched) }
        let coverage = covered.reduce(0) { $0 + weight[$1]! } / totalWeight
        if coverage < minimumCoverage { return [] }

        // 5. Pick the best, skip near-duplicates and weak ones, restore reading order.
        pool.sort { $0.score != $1.score ? $0.score > $1.score : ($0.rank, $0.index) < ($1.rank, $1.index) }
        let best = pool[0].score
        var picked: [Candidate] = []
        var characters = 0
        for c in pool {
            if !picked.isEmpty {
                if c.score < best * 0.5 { break }
                if language == .english && picked.count >= maxEnglishSentences { break }
                if language == .traditionalChinese && characters + c.text.count > maxChineseCharacters { continue }
                if picked.contains(where: { nearDuplicate($0, c) }) { continue }
            }
            picked.append(c)
            characters += c.text.count
            if language == .traditionalChinese && characters >= maxChineseCharacters { break }
        }
        picked.sort { ($0.rank, $0.index) < ($1.rank, $1.index) }
        return picked.map(\.text)
    }

    // MARK: Helpers

    private struct Candidate {
        var text: String
        var terms: Set<String>
        var language: Language
        var rank: Int
        var index: Int
        var matched: Set<String> = []
        var meaningful = false
        var coverage = 0.0
        var score = 0.0
    }

    /// Chinese question words that `SearchTerms` keeps (one of their characters is not a
    /// function character) but that never carry the topic.
    static let questionBigrams: Set<String> = [
        "哪裡", "哪裏", "哪里", "哪些", "是否", "請問", "請告", "告訴", "知道", "一下", "可以", "多少",
        "什么", "怎么", "哪兒", "甚麼",
    ]

    /// The question's distinct terms with a weight: 1, or 0.5 for a CJK bigram that straddles
    /// a function character ("院的", "的首") — often a word-boundary artefact.
    static func queryTerms(_ question: String) -> [(term: String, weight: Double)] {
        var seen = Set<String>()
        var out: [(String, Double)] = []
        for term in SearchTerms.terms(question, forQuery: true) where !questionBigrams.contains(term) {
            guard seen.insert(term).inserted else { continue }
            let straddles = term.count == 2 && term.unicodeScalars.allSatisfy(LanguageDetector.isIdeograph)
                && term.contains(where: SearchTerms.chineseStopCharacters.contains)
            out.append((term, straddles ? 0.5 : 1))
        }
        return out
    }

    private static func isQuestion(_ s: String) -> Bool {
        var t = Substring(s)
        while let last = t.last, "」』）)\"'”’]】".contains(last) { t.removeLast() }
        return t.last == "?" || t.last == "？"
    }

    private static func endsWithTerminator(_ s: String) -> Bool {
        var t = Substring(s)
        while let last = t.last, "」』）)\"'”’]】".contains(last) { t.removeLast() }
        guard let last = t.last else { return true }
        return ".!?。！？；;…:：".contains(last)
    }

    /// Same text, one inside the other, or mostly the same terms.
    private static func nearDuplicate(_ a: Candidate, _ b: Candidate) -> Bool {
        if a.text == b.text || a.text.contains(b.text) || b.text.contains(a.text) { return true }
        let shared = a.terms.intersection(b.terms).count
        let union = a.terms.union(b.terms).count
        return union > 0 && Double(shared) / Double(union) >= 0.6
    }
}
