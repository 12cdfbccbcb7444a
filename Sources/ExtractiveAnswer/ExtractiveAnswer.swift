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
/// sentences (never invented text), and answering the question asked:
///
/// 0. The question is read first (`QuestionAnalysis`): its focus without the visitor's chit-chat,
///    lead-ins and politeness (`QuestionFocus`: "嗯！很厲害。然後…院長是誰啊？" → "院長是誰"), its
///    kind from its question words (when / where / who / how many / which / what / how), which are
///    then blanked out so that no term straddles them, and its subject ("工研院" in 工研院是哪一年
///    成立的). A few paraphrases also match ("誕生" → 成立, 衍生, …).
/// 1. Every passage is split into sentences (`SentenceSplitter`); questions and fragments
///    without two search terms are set aside. What each sentence offers — a date, a place, a
///    person, a number, a list, an explanation, "current" — is found once per passage text
///    (`PassageSentences`, cached).
/// 2. Each sentence is scored against the question's terms (`SearchTerms`): the share of the
///    question's IDF weight it covers (IDF over the candidate sentences; a title naming the
///    subject lends it to sentences that leave it out), plus bonuses for its passage's retrieval
///    rank, for being its passage's first sentence, for its title's coverage of the question, for
///    offering what the question's kind asks for (and, for when / where / who / how many, the
///    sentences without it step back when a relevant one has it), for naming the subject, and
///    for "current" when a who / what question does not name a year; halved when the subject is
///    only a modifier of what the sentence is about ("工研院日本辦公室於1987年成立" does not say
///    when 工研院 was founded); and, while picking, a penalty for a sentence starting with a
///    pronoun — "It was …" — unless the sentence before it is already in.
/// 3. Sentences in the answer language are used when any of them is relevant; the other
///    language only when none is.
/// 4. The relevant sentences must cover more than half of the question — its English terms
///    (lightly stemmed; in a Chinese question a Latin word counts double: it is a name) and the
///    topic-carrying characters of its Chinese (through bigrams or their paraphrases), question
///    words aside — otherwise the answer is `noInformation`.
/// 5. The best sentences are taken one at a time — up to 3 in English, up to ~150 characters
///    in Chinese — skipping near-duplicates and weak sentences (< half the best score; for one
///    from another passage than the best sentence's: < 80 % of its score or of its coverage,
///    not about the question's subject, or answering a when / where / who / how-many question),
///    and put back in passage order, then text order. English sentences are joined with a space,
///    Chinese ones directly; a sentence without final punctuation gets "." / "。" so that the
///    answer still splits into the same sentences.
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

    /// The answer as the extractive answerer plugin streams it: `answer` split into sentences
    /// (`SentenceSplitter`), each English one after the first preceded by a space, so that
    /// tone conversion can start at once. Concatenated, the chunks are the answer re-spaced.
    public static func answerChunks(question: String, language: Language, passages: [SourcePassage]) -> [String] {
        let sentences = SentenceSplitter.split(answer(question: question, language: language, passages: passages))
        return sentences.enumerated().map { i, sentence in i > 0 && language == .english ? " " + sentence : sentence }
    }

    /// The sentences `answer` would use, verbatim from the passages, in output order; [] when
    /// the passages do not answer the question.
    public static func sentences(question rawQuestion: String, language: Language, passages: [SourcePassage]) -> [String] {
        let question = QuestionAnalysis(rawQuestion)
        let questionTerms = queryTerms(question.content)
        if questionTerms.isEmpty || passages.isEmpty { return [] }
        // A term also matches its few paraphrases ("誕生" → "成立", "衍生").
        var alternativesOf: [String: [String]] = [:]
        for (term, _) in questionTerms { if let alts = QuestionAnalysis.alternatives[term] { alternativesOf[term] = alts } }
        func has(_ terms: Set<String>, _ term: String) -> Bool {
            if terms.contains(term) { return true }
            guard let alts = alternativesOf[term] else { return false }
            return alts.contains(where: terms.contains)
        }

        // 1. Candidate sentences.
        var candidates: [Candidate] = []
        for (rank, passage) in passages.enumerated() {
            for s in PassageSentences.shared.sentences(of: passage.content) {
                candidates.append(Candidate(sentence: s, language: s.language ?? passage.language ?? language, rank: rank))
            }
        }
        if candidates.isEmpty { return [] }

        // 2. IDF of the question terms over the candidates; which terms each sentence has.
        let n = Double(candidates.count)
        var weight: [String: Double] = [:]
        for (term, termWeight) in questionTerms {
            let df = Double(candidates.reduce(0) { $0 + (has($1.terms, term) ? 1 : 0) })
            weight[term] = termWeight * log(1 + (n + 1) / (df + 0.5))
        }
        let meaningful = Set(questionTerms.filter { $0.weight >= 1 }.map(\.term))
        for i in candidates.indices {
            candidates[i].matched = Set(weight.keys.filter { has(candidates[i].terms, $0) })
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

        // The passages' titles say what each passage is about (its subject check below).
        let titleTerms = passages.map { Set(SearchTerms.terms($0.title)) }
        let questionTermSet = Set(questionTerms.map(\.term))
        let scores = passages.map(\.score)
        let maxScore = scores.max() ?? 0, minScore = scores.min() ?? 0
        // A title says what its passage is about: how much of the question it covers counts for
        // each of the passage's sentences, and a title naming the subject lends it to sentences
        // that leave it out (Chinese drops a known subject: "…，於1973年將三所合併，正式成立").
        let titleCoverage = titleTerms.map { terms in active.reduce(0) { $0 + (has(terms, $1) ? weight[$1]! : 0) } / totalWeight }
        let subjectTerms: Set<String> = question.subject.map { subject in
            var view = String.UnicodeScalarView()
            view.append(contentsOf: subject)
            return Set(queryTerms(String(view)).map(\.term)).intersection(active)
        } ?? []
        let subjectInTitle = passages.map { p in question.subject.map { contains(Array(p.title.unicodeScalars), $0) } ?? false }
        for i in pool.indices {
            pool[i].matched.formIntersection(active)
            if subjectInTitle[pool[i].rank] { pool[i].matched.formUnion(subjectTerms) }
            pool[i].coverage = pool[i].matched.reduce(0) { $0 + weight[$1]! } / totalWeight
            let rank = pool[i].rank
            var retrieval = 0.15 / Double(1 + rank)
            if maxScore > minScore { retrieval += 0.1 * (passages[rank].score - minScore) / (maxScore - minScore) }
            var score = pool[i].coverage + retrieval + (pool[i].index == 0 ? 0.08 : 0) + 0.2 * titleCoverage[rank]
            // The question's kind: a date for "when", a place for "where", …
            let role = subjectRole(pool[i], question: question, titleTerms: titleTerms[rank], questionTerms: questionTermSet)
            score += kindBonus(question.type, features: pool[i].features, definitional: role.definitional)
            if question.prefersCurrent && pool[i].features.current { score += 0.2 }
            // Its subject: named in the sentence (or at least in its passage's title) — and not
            // as a mere modifier of what the sentence is about ("工研院日本辦公室於1987年成立"
            // does not say when 工研院 was founded).
            if role.present {
                score += 0.1
            } else if subjectInTitle[rank] {
                score += 0.05
            }
            if role.modifierOnly { score *= 0.5 }
            // A sentence about a person ("胡副院長曾任…", "王兆振博士是…") answers a question about
            // something else only when nothing better is there.
            if question.type != .person && question.type != .other && !role.leads && pool[i].personLead { score *= 0.7 }
            pool[i].score = score
            pool[i].aboutSubject = question.subject == nil || ((role.present || subjectInTitle[rank]) && !role.modifierOnly)
        }
        // A "when" / "where" / "who" / "how many" question is answered by a sentence with a date /
        // a place / a person / a number whenever a relevant one has it: the others step back.
        if let wants = Self.featureWanted(question.type) {
            let bestCoverage = pool.map(\.coverage).max() ?? 0
            if pool.contains(where: { wants($0.features) && $0.coverage >= 0.5 * bestCoverage }) {
                for i in pool.indices where !wants(pool[i].features) { pool[i].score *= 0.6 }
            }
        }

        // 4. Enough of the question covered?
        let latinOnly = language == .traditionalChinese && !pool.contains { $0.language == .traditionalChinese }
        if questionCoverage(question.content, pool: pool, latinOnly: latinOnly, alternatives: alternativesOf) <= minimumCoverage { return [] }

        // 5. Pick the best one at a time (a sentence leaning on its predecessor — "It was …" —
        //    is penalized unless that predecessor is already in), skipping near-duplicates and
        //    weak ones; then restore reading order.
        pool.sort { $0.score != $1.score ? $0.score > $1.score : ($0.rank, $0.index) < ($1.rank, $1.index) }
        var picked: [Candidate] = []
        var characters = 0
        var best = 0.0
        var remaining = pool
        // A when / where / who / how-many question has one answer: other passages do not add to it.
        let factoid = Self.featureWanted(question.type) != nil
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
            } else if remaining[choice.index].rank != picked[0].rank
                        && (choice.score < best * 0.8 || remaining[choice.index].coverage < picked[0].coverage * 0.8
                            || !remaining[choice.index].aboutSubject || factoid) {
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
    /// term (2 in a Chinese question, where a Latin word is a name: "STOBA", "101"), ½ per
    /// topic-carrying Chinese character (a character counts as covered when a bigram it belongs
    /// to, or a paraphrase of that bigram, occurs in the pool). With `latinOnly` (a Chinese
    /// question answered from English sentences) only the English terms count.
    private static func questionCoverage(_ question: String, pool: [Candidate], latinOnly: Bool, alternatives: [String: [String]]) -> Double {
        let poolTerms = pool.reduce(into: Set<String>()) { $0.formUnion($1.terms) }
        func covered(_ term: String) -> Bool {
            poolTerms.contains(term) || (alternatives[term]?.contains(where: poolTerms.contains) ?? false)
        }
        let chineseQuestion = question.unicodeScalars.contains(where: LanguageDetector.isIdeograph)
        let latinUnit = chineseQuestion && !latinOnly ? 2.0 : 1.0
        var total = 0.0, hits = 0.0
        for (term, _) in queryTerms(question) where !term.unicodeScalars.contains(where: LanguageDetector.isIdeograph) {
            total += latinUnit
            if covered(term) { hits += latinUnit }
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
                    for k in 0..<(run.count - 1) where covered(String([run[k], run[k + 1]])) {
                        hit[k] = true
                        hit[k + 1] = true
                    }
                }
                for (k, ch) in run.enumerated() where !questionCharacters.contains(ch) {
                    total += 0.5
                    if hit[k] { hits += 0.5 }
                }
            }
        }
        return total > 0 ? hits / total : 0
    }

    /// How a sentence relates to the question's subject: named in it at all; named only as the
    /// modifier of another thing its passage is about (the subject followed by a bigram of the
    /// passage title that the question does not have — "工研院|日本辦公室", "工研院|院長");
    /// defined by it ("STOBA 是…", "ITRI is …"); opening it.
    private static func subjectRole(_ c: Candidate, question: QuestionAnalysis, titleTerms: Set<String>,
                                    questionTerms: Set<String>) -> (present: Bool, modifierOnly: Bool, definitional: Bool, leads: Bool) {
        guard let subject = question.subject else { return (false, false, false, false) }
        let s = c.scalars
        guard subject.count <= s.count else { return (false, false, false, false) }
        var present = false, allModifiers = true, definitional = false, leads = false
        var i = 0
        while i + subject.count <= s.count {
            guard s[i] == subject[0], s[i..<(i + subject.count)].elementsEqual(subject) else { i += 1; continue }
            present = true
            let a = i + subject.count
            var modifier = false
            if a + 1 < s.count, LanguageDetector.isIdeograph(s[a]), LanguageDetector.isIdeograph(s[a + 1]), !linkingCharacters.contains(s[a]) {
                var pair = String.UnicodeScalarView()
                pair.append(s[a])
                pair.append(s[a + 1])
                let bigram = String(pair)
                modifier = titleTerms.contains(bigram) && !questionTerms.contains(bigram)
                    && !(question.type == .place && QuestionAnalysis.placeHeads.contains(bigram))
            }
            if !modifier { allModifiers = false }
            // "X 是…", "X（…）是…", "X is …"
            var k = a
            while k < s.count, k - a < 12, s[k] == " " || s[k] == "」" || s[k] == "）" || s[k] == ")" { k += 1 }
            if k < s.count, definitionCharacters.contains(s[k]) { definitional = true }
            if k + 2 < s.count, s[k] == "i", s[k + 1] == "s", s[k + 2] == " " { definitional = true }
            if i == 0 && !modifier { definitional = definitional || c.index == 0 }
            if i <= 2 { leads = true }
            i = a
        }
        return (present, present && allModifiers, definitional, leads)
    }

    /// Characters that, right after the subject, link it to the rest of the sentence instead of
    /// naming another thing.
    private static let linkingCharacters: Set<Unicode.Scalar> = [
        "的", "是", "於", "在", "以", "為", "自", "由", "與", "和", "及", "將", "已", "也", "就", "都", "並", "曾", "共", "所", "等",
        "從", "把", "被", "對", "向", "經", "目", "現", "正", "早", "最", "更", "不", "還", "成", "設", "位", "擁", "有", "每", "一",
    ]
    private static let definitionCharacters: Set<Unicode.Scalar> = ["是", "為", "指", "係"]

    private static func contains(_ haystack: [Unicode.Scalar], _ needle: [Unicode.Scalar]) -> Bool {
        guard !needle.isEmpty, needle.count <= haystack.count else { return needle.isEmpty }
        for i in 0...(haystack.count - needle.count) where haystack[i] == needle[0] && haystack[i..<(i + needle.count)].elementsEqual(needle) {
            return true
        }
        return false
    }

    /// The feature a factoid question's answer must have, if its kind names one.
    private static func featureWanted(_ type: QuestionType) -> ((SentenceFeatures) -> Bool)? {
        switch type {
        case .when: return { $0.date }
        case .place: return { $0.place }
        case .person: return { $0.person }
        case .quantity: return { $0.number }
        default: return nil
        }
    }

    /// The bonus a sentence gets for offering what the question's kind asks for.
    private static func kindBonus(_ type: QuestionType, features f: SentenceFeatures, definitional: Bool) -> Double {
        switch type {
        case .when: return f.date ? 0.25 : 0
        case .place: return f.place ? 0.25 : 0
        case .person: return f.person ? 0.2 : 0
        case .quantity: return f.number ? 0.25 : 0
        case .list: return f.list ? 0.1 : 0
        case .definition: return definitional ? 0.15 : 0
        case .explanation: return f.explanation ? 0.1 : 0
        case .other: return 0
        }
    }

    private struct Candidate {
        var text: String
        var terms: Set<String>
        var language: Language
        var rank: Int
        var index: Int
        var features: SentenceFeatures
        var scalars: [Unicode.Scalar]
        var matched: Set<String> = []
        var meaningful = false
        var coverage = 0.0
        var score = 0.0
        /// Names the question's subject (or its passage's title does), not as a mere modifier.
        var aboutSubject = true
        /// Opens with a person: a title or honorific, or "he" / "she" (SentenceFeatures).
        var personLead: Bool { features.personLead }

        init(sentence s: PassageSentences.Sentence, language: Language, rank: Int) {
            text = s.text
            terms = s.terms
            self.language = language
            self.rank = rank
            index = s.index
            features = s.features
            scalars = s.scalars
        }
    }

    static var questionBigrams: Set<String> { SearchTerms.questionBigrams }

    static func withoutLanguageRequests(_ question: String) -> String { SearchTerms.withoutLanguageRequests(question) }

    /// The question's distinct terms with a weight (1): without the CJK bigrams that straddle a
    /// function character ("院的", "立的") — word-boundary artefacts — unless nothing else is left
    /// or it is a word with paraphrases ("有名").
    static func queryTerms(_ question: String) -> [(term: String, weight: Double)] {
        var seen = Set<String>()
        var out: [(String, Double)] = []
        var straddling: [String] = []
        for raw in SearchTerms.terms(question, forQuery: true) where !questionBigrams.contains(raw) {
            let term = stem(raw)
            guard seen.insert(term).inserted else { continue }
            let straddles = term.count == 2 && term.unicodeScalars.allSatisfy(LanguageDetector.isIdeograph)
                && term.contains(where: SearchTerms.chineseStopCharacters.contains) && QuestionFocus.paraphrases[term] == nil
            if straddles { straddling.append(term) } else { out.append((term, 1)) }
        }
        return out.isEmpty ? straddling.map { ($0, 1) } : out
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
