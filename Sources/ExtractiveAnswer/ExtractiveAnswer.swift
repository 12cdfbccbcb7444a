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
///    its passage's retrieval rank and for being its passage's first sentence (and, while
///    picking, a penalty for a sentence starting with a pronoun — "It was …" — unless the
///    sentence before it is already in).
/// 3. Sentences in the answer language are used when any of them is relevant; the other
///    language only when none is.
/// 4. The relevant sentences must cover more than half of the question — its English terms
///    (lightly stemmed) and the topic-carrying characters of its Chinese (through bigrams),
///    question words aside — otherwise the answer is `noInformation`.
/// 5. The best sentences are taken one at a time — up to 3 in English, up to ~150 characters
///    in Chinese — skipping near-duplicates and weak sentences (< half the best score; < 80 %
///    for one from another passage than the best sentence's), and put back in passage order,
///    then text order. English sentences are joined with a space, Chinese ones directly; a
///    sentence without final punctuation gets "." / "。" so that the answer still splits into
///    the same sentences.
public enum ExtractiveAnswerer {
    /// Most sentences in an English answer.
    public static let maxEnglishSentences = 3
    /// Target length of a Chinese answer, in characters (the first sentence is always whole).
    public static let maxChineseCharacters = 150
    /// Share of the question the relevant sentences must cover (strictly more than this).
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
    public static func sentences(question rawQuestion: String, language: Language, passages: [SourcePassage]) -> [String] {
        let question = withoutLanguageRequests(rawQuestion)
        let questionTerms = queryTerms(question)
        if questionTerms.isEmpty || passages.isEmpty { return [] }

        // 1. Candidate sentences.
        var candidates: [Candidate] = []
        for (rank, passage) in passages.enumerated() {
            for s in PassageSentences.shared.sentences(of: passage.content) {
                candidates.append(Candidate(text: s.text, terms: s.terms, language: s.language ?? passage.language ?? language,
                                            rank: rank, index: s.index))
            }
        }
        if candidates.isEmpty { return [] }

        // 2. IDF of the question terms over the candidates; which terms each sentence has.
        let n = Double(candidates.count)
        var weight: [String: Double] = [:]
        for (term, termWeight) in questionTerms {
            let df = Double(candidates.reduce(0) { $0 + ($1.terms.contains(term) ? 1 : 0) })
            weight[term] = termWeight * log(1 + (n + 1) / (df + 0.5))
        }
        let meaningful = Set(questionTerms.filter { $0.weight >= 1 }.map(\.term))
        for i in candidates.indices {
            candidates[i].matched = candidates[i].terms.intersection(weight.keys)
            candidates[i].meaningful = !candidates[i].matched.isDisjoint(with: meaningful)
        }

        // 3. The answer language first; the other only when it has nothing relevant. Falling
        //    back to English sentences, the question's Chinese terms cannot be expected to
        //    match, so only its Latin terms count from then on.
        let relevant = candidates.filter { $0.meaningful }
        var pool = relevant.filter { $0.language == language }
        var active = Set(weight.keys)
        if pool.isEmpty {
            pool = relevant
            if language == .traditionalChinese {
                active = active.filter { !$0.unicodeScalars.contains(where: LanguageDetector.isIdeograph) }
                pool = pool.filter { !$0.matched.isDisjoint(with: active.intersection(meaningful)) }
            }
        }
        let totalWeight = active.reduce(0) { $0 + weight[$1]! }
        if pool.isEmpty || totalWeight <= 0 { return [] }

        let scores = passages.map(\.score)
        let maxScore = scores.max() ?? 0, minScore = scores.min() ?? 0
        for i in pool.indices {
            pool[i].matched.formIntersection(active)
            pool[i].coverage = pool[i].matched.reduce(0) { $0 + weight[$1]! } / totalWeight
            let rank = pool[i].rank
            var retrieval = 0.15 / Double(1 + rank)
            if maxScore > minScore { retrieval += 0.1 * (passages[rank].score - minScore) / (maxScore - minScore) }
            pool[i].score = pool[i].coverage + retrieval + (pool[i].index == 0 ? 0.08 : 0)
        }

        // 4. Enough of the question covered?
        let latinOnly = language == .traditionalChinese && !pool.contains { $0.language == .traditionalChinese }
        if questionCoverage(question, pool: pool, latinOnly: latinOnly) <= minimumCoverage { return [] }

        // 5. Pick the best one at a time (a sentence leaning on its predecessor — "It was …" —
        //    is penalized unless that predecessor is already in), skipping near-duplicates and
        //    weak ones; then restore reading order.
        pool.sort { $0.score != $1.score ? $0.score > $1.score : ($0.rank, $0.index) < ($1.rank, $1.index) }
        var picked: [Candidate] = []
        var characters = 0
        var best = 0.0
        var remaining = pool
        while !remaining.isEmpty {
            if language == .english && picked.count >= maxEnglishSentences { break }
            if language == .traditionalChinese && characters >= maxChineseCharacters { break }
            func effective(_ c: Candidate) -> Double {
                let leans = c.index > 0 && startsWithPronoun(c.text)
                    && !picked.contains { $0.rank == c.rank && $0.index == c.index - 1 }
                return leans ? c.score * 0.6 : c.score
            }
            var choice: (index: Int, score: Double)?
            for (i, c) in remaining.enumerated() {
                let e = effective(c)
                if let current = choice, current.score >= e { continue }
                if !picked.isEmpty {
                    if language == .traditionalChinese && characters + c.text.count > maxChineseCharacters { continue }
                    if picked.contains(where: { nearDuplicate($0, c) }) { continue }
                }
                choice = (i, e)
            }
            guard let choice else { break }
            // More sentences from the first one's passage while they are at least half as good;
            // from other passages only when they are nearly as good (answers stay coherent).
            if picked.isEmpty {
                best = choice.score
            } else if choice.score < best * 0.5 {
                break
            } else if remaining[choice.index].rank != picked[0].rank && choice.score < best * 0.8 {
                remaining.remove(at: choice.index)
                continue
            }
            let c = remaining.remove(at: choice.index)
            picked.append(c)
            characters += c.text.count
        }
        // 6. A lone sentence reads abruptly ("ITRI's history spans five decades."): continue
        //    the lead sentence's passage in reading order, within the same length limits.
        if let lead = picked.first, language == .english ? picked.count < 2 : characters < 60 {
            let following = candidates
                .filter { $0.rank == lead.rank && $0.index > lead.index && $0.language == lead.language }
                .sorted { $0.index < $1.index }
            for c in following {
                if language == .english && picked.count >= maxEnglishSentences { break }
                if language == .traditionalChinese && characters + c.text.count > maxChineseCharacters { break }
                if picked.contains(where: { $0.rank == c.rank && $0.index == c.index }) { continue }
                picked.append(c)
                characters += c.text.count
            }
        }
        picked.sort { ($0.rank, $0.index) < ($1.rank, $1.index) }
        return picked.map(\.text)
    }

    // MARK: Helpers

    /// The shared English stemmer (TonehostText), so question and sentences fold alike.
    static func stem(_ term: String) -> String { SearchTerms.stem(term) }

    /// Characters of a Chinese question that carry no topic: function characters and
    /// question words ("幾點", "哪裡", "多少", "嗎").
    static let questionCharacters: Set<Character> = SearchTerms.chineseStopCharacters.union([
        "幾", "誰", "哪", "裡", "裏", "多", "少", "否", "嗎", "呢", "吧", "啊", "喔", "呀", "嘛", "麼", "什", "甚", "怎", "樣",
        "請", "問", "告", "訴", "想", "要", "可", "以",
    ])

    /// How much of the question the pool sentences cover, in units: 1 per distinct English
    /// term, ½ per topic-carrying Chinese character (a character counts as covered when a
    /// bigram it belongs to occurs in the pool). With `latinOnly` (a Chinese question answered
    /// from English sentences) only the English terms count.
    private static func questionCoverage(_ question: String, pool: [Candidate], latinOnly: Bool) -> Double {
        let poolTerms = pool.reduce(into: Set<String>()) { $0.formUnion($1.terms) }
        var total = 0.0, covered = 0.0
        for (term, _) in queryTerms(question) where !term.unicodeScalars.contains(where: LanguageDetector.isIdeograph) {
            total += 1
            if poolTerms.contains(term) { covered += 1 }
        }
        if !latinOnly {
            var runs: [[Character]] = [[]]
            for ch in question {
                if let scalar = ch.unicodeScalars.first, LanguageDetector.isIdeograph(scalar) {
                    runs[runs.count - 1].append(ch)
                } else if !runs[runs.count - 1].isEmpty {
                    runs.append([])
                }
            }
            for run in runs where !run.isEmpty {
                var hit = [Bool](repeating: false, count: run.count)
                if run.count == 1 {
                    hit[0] = pool.contains { $0.text.contains(run[0]) }
                } else {
                    for k in 0..<(run.count - 1) where poolTerms.contains(String([run[k], run[k + 1]])) {
                        hit[k] = true
                        hit[k + 1] = true
                    }
                }
                for (k, ch) in run.enumerated() where !questionCharacters.contains(ch) {
                    total += 0.5
                    if hit[k] { covered += 0.5 }
                }
            }
        }
        return total > 0 ? covered / total : 0
    }

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

    static var questionBigrams: Set<String> { SearchTerms.questionBigrams }

    static func withoutLanguageRequests(_ question: String) -> String { SearchTerms.withoutLanguageRequests(question) }

    /// The question's distinct terms with a weight: 1, or 0.5 for a CJK bigram that straddles
    /// a function character ("院的", "的首") — often a word-boundary artefact.
    static func queryTerms(_ question: String) -> [(term: String, weight: Double)] {
        var seen = Set<String>()
        var out: [(String, Double)] = []
        for raw in SearchTerms.terms(question, forQuery: true) where !questionBigrams.contains(raw) {
            let term = stem(raw)
            guard seen.insert(term).inserted else { continue }
            let straddles = term.count == 2 && term.unicodeScalars.allSatisfy(LanguageDetector.isIdeograph)
                && term.contains(where: SearchTerms.chineseStopCharacters.contains)
            out.append((term, straddles ? 0.5 : 1))
        }
        return out
    }

    private static let pronounStarts = ["it ", "its ", "it's ", "they ", "their ", "this ", "these ", "those ", "he ", "she ", "his ", "her ", "there "]
    private static let chinesePronounStarts: Set<Character> = ["它", "他", "她", "其", "該", "此", "這", "那"]

    /// Whether a sentence leans on the one before it ("It …", "They …", "它…", "該…").
    static func startsWithPronoun(_ s: String) -> Bool {
        if let first = s.first, chinesePronounStarts.contains(first) { return true }
        let head = s.prefix(8).lowercased()
        return pronounStarts.contains { head.hasPrefix($0) }
    }

    static func isQuestion(_ s: String) -> Bool {
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
        if a.text == b.text || ByteSearch.contains(a.text, b.text) || ByteSearch.contains(b.text, a.text) { return true }
        let shared = a.terms.intersection(b.terms).count
        let union = a.terms.union(b.terms).count
        return union > 0 && Double(shared) / Double(union) >= 0.6
    }
}
