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
        let chosen = chosenSentences(question: question, language: language, passages: passages)
        if chosen.isEmpty { return noInformation(language) }
        var out = ""
        for sentence in chosen {
            let isCJK = sentence.detectedChinese
            let text = sentence.endsWithTerminator ? sentence.text : sentence.text + (isCJK ? "。" : ".")
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
    public static func sentences(question: String, language: Language, passages: [SourcePassage]) -> [String] {
        chosenSentences(question: question, language: language, passages: passages).map(\.text)
    }

    /// A sentence of a passage as a candidate for this question's answer.
    private struct Candidate {
        let sentence: PreparedSentence
        /// Its language, else its passage's, else the answer's.
        let language: Language
        /// Its passage's position among the retrieved ones.
        let rank: Int
        var index: Int { sentence.index }
        var features: SentenceFeatures { sentence.features }
    }

    /// Which of the question's terms a sentence (or a title, or the pool) has: bit q of a row
    /// of `words` 64-bit words stands for question term q.
    private struct TermMask {
        let words: Int
        var bits: [UInt64]

        init(terms: Int, rows: Int = 1) {
            words = (terms + 63) >> 6
            bits = [UInt64](repeating: 0, count: words * rows)
        }

        @inline(__always) func has(_ q: Int, row: Int = 0) -> Bool { bits[row * words + q >> 6] & (1 << UInt64(q & 63)) != 0 }
        @inline(__always) mutating func set(_ q: Int, row: Int = 0) { bits[row * words + q >> 6] |= 1 << UInt64(q & 63) }
        /// Whether row `row` shares a term with `mask`'s row 0.
        func intersects(row: Int, _ mask: TermMask) -> Bool {
            for w in 0..<words where bits[row * words + w] & mask.bits[w] != 0 { return true }
            return false
        }
    }

    /// The answer's sentences, in output order. Works on term ids (`PassageSentences`): the
    /// question's terms are looked up once, and each sentence's terms are a sorted id array.
    static func chosenSentences(question rawQuestion: String, language: Language, passages: [SourcePassage]) -> [PreparedSentence] {
        let question = QuestionAnalysis(rawQuestion)
        let questionTerms = queryTerms(question.content)
        if questionTerms.isEmpty || passages.isEmpty { return [] }
        let termCount = questionTerms.count

        // The strings this call needs ids of: each question term and its few paraphrases
        // ("誕生" → "成立", "衍生"), the subject's terms, and the bigrams of the question's runs of
        // ideographs (its coverage, step 4).
        var wanted: [String] = []
        var termStrings: [Range<Int>] = []
        for (term, _) in questionTerms {
            let start = wanted.count
            wanted.append(term)
            if let alts = QuestionAnalysis.alternatives[term] { wanted.append(contentsOf: alts) }
            termStrings.append(start..<wanted.count)
        }
        let subjectTermList: [String] = question.subject.map { subject in
            var view = String.UnicodeScalarView()
            view.append(contentsOf: subject)
            return queryTerms(String(view)).map(\.term)
        } ?? []
        let subjectStart = wanted.count
        wanted.append(contentsOf: subjectTermList)
        let runs = ideographRuns(question.content)
        let bigramStart = wanted.count
        for run in runs where run.count > 1 {
            for k in 0..<(run.count - 1) { wanted.append(String([run[k], run[k + 1]])) }
        }

        let lookup = PassageSentences.shared.lookup(contents: passages.map(\.content), titles: passages.map(\.title), terms: wanted)
        // A sentence has question term q when it has the term or one of its paraphrases.
        let termIDs = termStrings.map { range in range.compactMap { lookup.ids[$0] } }
        let ownIDs = termStrings.map { lookup.ids[$0.lowerBound] }
        /// The question term `term` is (nil: none), by id, else by text.
        func questionTerm(_ term: String, id: Int32?) -> Int? {
            if let id { return ownIDs.firstIndex(of: id) }
            return questionTerms.indices.first { ownIDs[$0] == nil && questionTerms[$0].term == term }
        }

        // 1. Candidate sentences.
        var candidates: [Candidate] = []
        for (rank, passage) in passages.enumerated() {
            for s in lookup.sentences[rank] {
                candidates.append(Candidate(sentence: s, language: s.language ?? passage.language ?? language, rank: rank))
            }
        }
        if candidates.isEmpty { return [] }

        // 2. IDF of the question terms over the candidates; which terms each sentence has.
        var has = TermMask(terms: termCount, rows: candidates.count)
        var df = [Int](repeating: 0, count: termCount)
        for (c, candidate) in candidates.enumerated() {
            let terms = candidate.sentence.terms
            for q in 0..<termCount where termIDs[q].contains(where: terms.containsSorted) {
                has.set(q, row: c)
                df[q] += 1
            }
        }
        let n = Double(candidates.count)
        let weight = (0..<termCount).map { q in questionTerms[q].weight * log(1 + (n + 1) / (Double(df[q]) + 0.5)) }
        var meaningful = TermMask(terms: termCount)
        for q in 0..<termCount where questionTerms[q].weight >= 1 { meaningful.set(q) }
        var matched = has

        // 3. The answer language first; the other only when it has nothing relevant. Falling
        //    back to English sentences, the question's Chinese terms cannot be expected to
        //    match, so only its Latin terms count from then on.
        let relevant = candidates.indices.filter { has.intersects(row: $0, meaningful) }
        var pool = relevant.filter { candidates[$0].language == language }
        var active = TermMask(terms: termCount)
        for q in 0..<termCount { active.set(q) }
        if pool.isEmpty {
            pool = relevant
            if language == .traditionalChinese {
                active = TermMask(terms: termCount)
                var activeMeaningful = TermMask(terms: termCount)
                for q in 0..<termCount where !questionTerms[q].term.unicodeScalars.contains(where: LanguageDetector.isIdeograph) {
                    active.set(q)
                    if meaningful.has(q) { activeMeaningful.set(q) }
                }
                pool = pool.filter { has.intersects(row: $0, activeMeaningful) }
            }
        }
        var totalWeight = 0.0
        for q in 0..<termCount where active.has(q) { totalWeight += weight[q] }
        if pool.isEmpty || totalWeight <= 0 { return [] }

        // The passages' titles say what each passage is about (its subject check below).
        let titles = lookup.titles
        let scores = passages.map(\.score)
        let maxScore = scores.max() ?? 0, minScore = scores.min() ?? 0
        // A title says what its passage is about: how much of the question it covers counts for
        // each of the passage's sentences, and a title naming the subject lends it to sentences
        // that leave it out (Chinese drops a known subject: "…，於1973年將三所合併，正式成立").
        let titleCoverage = titles.map { title in
            var covered = 0.0
            for q in 0..<termCount where active.has(q) && termIDs[q].contains(where: title.terms.containsSorted) { covered += weight[q] }
            return covered / totalWeight
        }
        var subjectTerms = TermMask(terms: termCount)
        for (k, term) in subjectTermList.enumerated() {
            if let q = questionTerm(term, id: lookup.ids[subjectStart + k]), active.has(q) { subjectTerms.set(q) }
        }
        let subjectInTitle = titles.map { t in question.subject.map { contains(t.scalars, $0) } ?? false }
        var coverage = [Double](repeating: 0, count: candidates.count)
        var score = [Double](repeating: 0, count: candidates.count)
        var aboutSubject = [Bool](repeating: true, count: candidates.count)
        for c in pool {
            let rank = candidates[c].rank
            for w in 0..<matched.words {
                matched.bits[c * matched.words + w] &= active.bits[w]
                if subjectInTitle[rank] { matched.bits[c * matched.words + w] |= subjectTerms.bits[w] }
            }
            var covered = 0.0
            for q in 0..<termCount where matched.has(q, row: c) { covered += weight[q] }
            coverage[c] = covered / totalWeight
            var retrieval = 0.15 / Double(1 + rank)
            if maxScore > minScore { retrieval += 0.1 * (passages[rank].score - minScore) / (maxScore - minScore) }
            var s = coverage[c] + retrieval + (candidates[c].index == 0 ? 0.08 : 0) + 0.2 * titleCoverage[rank]
            // The question's kind: a date for "when", a place for "where", …
            let role = subjectRole(candidates[c].sentence, question: question, title: titles[rank], questionTerms: questionTerms)
            s += kindBonus(question.type, features: candidates[c].features, definitional: role.definitional)
            if question.prefersCurrent && candidates[c].features.current { s += 0.2 }
            // Its subject: named in the sentence (or at least in its passage's title) — and not
            // as a mere modifier of what the sentence is about ("工研院日本辦公室於1987年成立"
            // does not say when 工研院 was founded).
            if role.present {
                s += 0.1
            } else if subjectInTitle[rank] {
                s += 0.05
            }
            if role.modifierOnly { s *= 0.5 }
            // A sentence about a person ("胡副院長曾任…", "王兆振博士是…") answers a question about
            // something else only when nothing better is there.
            if question.type != .person && question.type != .other && !role.leads && candidates[c].features.personLead { s *= 0.7 }
            score[c] = s
            aboutSubject[c] = question.subject == nil || ((role.present || subjectInTitle[rank]) && !role.modifierOnly)
        }
        // A "when" / "where" / "who" / "how many" question is answered by a sentence with a date /
        // a place / a person / a number whenever a relevant one has it: the others step back.
        if let wants = Self.featureWanted(question.type) {
            let bestCoverage = pool.map { coverage[$0] }.max() ?? 0
            if pool.contains(where: { wants(candidates[$0].features) && coverage[$0] >= 0.5 * bestCoverage }) {
                for c in pool where !wants(candidates[c].features) { score[c] *= 0.6 }
            }
        }

        // 4. Enough of the question covered? In units: 1 per distinct English term (2 in a
        //    Chinese question, where a Latin word is a name: "STOBA", "101"), ½ per
        //    topic-carrying Chinese character (a character counts as covered when a bigram it
        //    belongs to, or a paraphrase of that bigram, occurs in the pool). A Chinese question
        //    answered from English sentences (`latinOnly`) counts its English terms only.
        let latinOnly = language == .traditionalChinese && !pool.contains { candidates[$0].language == .traditionalChinese }
        var poolHas = TermMask(terms: termCount)
        for c in pool {
            for w in 0..<has.words { poolHas.bits[w] |= has.bits[c * has.words + w] }
        }
        let chineseQuestion = question.content.unicodeScalars.contains(where: LanguageDetector.isIdeograph)
        let latinUnit = chineseQuestion && !latinOnly ? 2.0 : 1.0
        var total = 0.0, hits = 0.0
        for q in 0..<termCount where !questionTerms[q].term.unicodeScalars.contains(where: LanguageDetector.isIdeograph) {
            total += latinUnit
            if poolHas.has(q) { hits += latinUnit }
        }
        if !latinOnly {
            var bigram = bigramStart
            for run in runs {
                var hit = [Bool](repeating: false, count: run.count)
                if run.count == 1 {
                    hit[0] = pool.contains { contains(candidates[$0].sentence, run[0]) }
                } else {
                    for k in 0..<(run.count - 1) {
                        let id = lookup.ids[bigram]
                        // A question term: covered with its paraphrases; another bigram: as it is.
                        let covered = questionTerm(wanted[bigram], id: id).map { poolHas.has($0) }
                            ?? id.map { id in pool.contains { candidates[$0].sentence.terms.containsSorted(id) } } ?? false
                        if covered {
                            hit[k] = true
                            hit[k + 1] = true
                        }
                        bigram += 1
                    }
                }
                for (k, ch) in run.enumerated() where !questionCharacters.contains(ch) {
                    total += 0.5
                    if hit[k] { hits += 0.5 }
                }
            }
        }
        if (total > 0 ? hits / total : 0) <= minimumCoverage { return [] }

        // 5. Pick the best one at a time (a sentence leaning on its predecessor — "It was …" —
        //    is penalized unless that predecessor is already in), skipping near-duplicates and
        //    weak ones; then restore reading order.
        pool.sort { a, b in
            score[a] != score[b] ? score[a] > score[b] : (candidates[a].rank, candidates[a].index) < (candidates[b].rank, candidates[b].index)
        }
        var picked: [Int] = []
        var characters = 0
        var best = 0.0
        var remaining = pool
        // A when / where / who / how-many question has one answer: other passages do not add to it.
        let factoid = Self.featureWanted(question.type) != nil
        while !remaining.isEmpty {
            if language == .english && picked.count >= maxEnglishSentences { break }
            if language == .traditionalChinese && characters >= maxChineseCharacters { break }
            func effective(_ c: Int) -> Double {
                let candidate = candidates[c]
                let leans = candidate.index > 0 && candidate.sentence.leansOnPrevious
                    && !picked.contains { candidates[$0].rank == candidate.rank && candidates[$0].index == candidate.index - 1 }
                return leans ? score[c] * 0.6 : score[c]
            }
            var choice: (index: Int, score: Double)?
            for (i, c) in remaining.enumerated() {
                let e = effective(c)
                if let current = choice, current.score >= e { continue }
                if !picked.isEmpty {
                    let sentence = candidates[c].sentence
                    if language == .traditionalChinese && characters + sentence.characterCount > maxChineseCharacters { continue }
                    if picked.contains(where: { nearDuplicate(candidates[$0].sentence, sentence) }) { continue }
                }
                choice = (i, e)
            }
            guard let choice else { break }
            let chosen = remaining[choice.index]
            // More sentences from the first one's passage while they are at least half as good;
            // from other passages only when they are nearly as good (answers stay coherent).
            if picked.isEmpty {
                best = choice.score
            } else if choice.score < best * 0.5 {
                break
            } else if candidates[chosen].rank != candidates[picked[0]].rank
                        && (choice.score < best * 0.8 || coverage[chosen] < coverage[picked[0]] * 0.8
                            || !aboutSubject[chosen] || factoid) {
                remaining.remove(at: choice.index)
                continue
            }
            remaining.remove(at: choice.index)
            picked.append(chosen)
            characters += candidates[chosen].sentence.characterCount
        }
        // 6. A lone sentence reads abruptly ("ITRI's history spans five decades."): continue
        //    the lead sentence's passage in reading order, within the same length limits.
        if let lead = picked.first.map({ candidates[$0] }), language == .english ? picked.count < 2 : characters < 60 {
            let following = candidates.indices
                .filter { candidates[$0].rank == lead.rank && candidates[$0].index > lead.index && candidates[$0].language == lead.language }
                .sorted { candidates[$0].index < candidates[$1].index }
            for c in following {
                if language == .english && picked.count >= maxEnglishSentences { break }
                if language == .traditionalChinese && characters + candidates[c].sentence.characterCount > maxChineseCharacters { break }
                if picked.contains(where: { candidates[$0].rank == candidates[c].rank && candidates[$0].index == candidates[c].index }) { continue }
                picked.append(c)
                characters += candidates[c].sentence.characterCount
            }
        }
        picked.sort { (candidates[$0].rank, candidates[$0].index) < (candidates[$1].rank, candidates[$1].index) }
        return picked.map { candidates[$0].sentence }
    }

    /// The runs of ideograph characters in `text`, in order.
    private static func ideographRuns(_ text: String) -> [[Character]] {
        var runs: [[Character]] = []
        var run: [Character] = []
        for ch in text {
            if let scalar = ch.unicodeScalars.first, LanguageDetector.isIdeograph(scalar) {
                run.append(ch)
            } else if !run.isEmpty {
                runs.append(run)
                run = []
            }
        }
        if !run.isEmpty { runs.append(run) }
        return runs
    }

    /// `sentence.text.contains(character)`; a byte search when both are plain text.
    private static func contains(_ sentence: PreparedSentence, _ character: Character) -> Bool {
        let scalars = character.unicodeScalars
        if sentence.plain, scalars.count == 1, PlainText.isPlain(scalars.first!) {
            return ByteSearch.contains(sentence.text, String(character))
        }
        return sentence.text.contains(character)
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

    /// How a sentence relates to the question's subject: named in it at all; named only as the
    /// modifier of another thing its passage is about (the subject followed by a bigram of the
    /// passage title that the question does not have — "工研院|日本辦公室", "工研院|院長");
    /// defined by it ("STOBA 是…", "ITRI is …"); opening it.
    private static func subjectRole(_ c: PreparedSentence, question: QuestionAnalysis, title: PreparedTitle,
                                    questionTerms: [(term: String, weight: Double)])
        -> (present: Bool, modifierOnly: Bool, definitional: Bool, leads: Bool) {
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
                modifier = title.termSet.contains(bigram) && !questionTerms.contains { $0.term == bigram }
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

    static func endsWithTerminator(_ s: String) -> Bool {
        var t = Substring(s)
        while let last = t.last, "」』）)\"'”’]】".contains(last) { t.removeLast() }
        guard let last = t.last else { return true }
        return ".!?。！？；;…:：".contains(last)
    }

    /// Same text, one inside the other, or mostly the same terms.
    private static func nearDuplicate(_ a: PreparedSentence, _ b: PreparedSentence) -> Bool {
        // Plain texts are equal only when their bytes are (which the byte search finds).
        if (!(a.plain && b.plain) && a.text == b.text) || ByteSearch.contains(a.text, b.text) || ByteSearch.contains(b.text, a.text) {
            return true
        }
        let shared = a.terms.sharedCount(b.terms)
        let union = a.terms.count + b.terms.count - shared
        return union > 0 && Double(shared) / Double(union) >= 0.6
    }
}
