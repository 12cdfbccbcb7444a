/// The part of a visitor's utterance that asks the question. Kiosk visitors talk: "嗯！很厲害。
/// 然後…院長是誰啊？", "Cool, thanks! So, um, when was ITRI founded?". The chit-chat before the
/// question, lead-ins and politeness ("然後", "請問", "我想要知道", "could you tell me"), trailing
/// particles ("啊", "嗎") and answer-language requests ("in English") carry no topic, and would
/// otherwise match — or drown — the terms that do.
///
/// Works on Unicode scalars; runs once per question.
public enum QuestionFocus {
    /// The question without chit-chat, lead-ins, politeness, trailing particles and language
    /// requests; the utterance itself (trimmed) when nothing is left after stripping.
    public static func core(_ utterance: String) -> String {
        let text = SearchTerms.withoutLanguageRequests(utterance)
        let sentences = split(Array(text.unicodeScalars))
        guard !sentences.isEmpty else { return utterance.trimmingWhitespace() }
        // The last sentence that asks something; else the last one with content.
        var chosen: [Unicode.Scalar]?
        for s in sentences.reversed() {
            let stripped = strip(s)
            guard hasContent(stripped) else { continue }
            if chosen == nil { chosen = stripped }
            if asksSomething(s) { chosen = stripped; break }
        }
        guard let core = chosen else { return utterance.trimmingWhitespace() }
        var view = String.UnicodeScalarView()
        view.append(contentsOf: core)
        return String(view)
    }

    /// What lexical retrieval is given: the focus with the Chinese question words that only
    /// say what kind of answer is wanted ("是哪一年", "在哪裡", "有多少", "有哪些", "怎麼") blanked
    /// out, so that no search term straddles them ("年成" of 哪一年成立, "院在" of 工研院在哪裡).
    /// "是什麼" / "是誰" stay: they mark a request for an overview.
    /// A "where" question's words become the words its answer is written with ("工研院在哪裡" →
    /// "工研院 位於 地址 "), which the visitor's words do not say.
    /// Paraphrased terms bring their usual wording along ("台積電是怎麼從工研院誕生的" also looks
    /// for 成立, 衍生, …).
    public static func retrievalQuery(_ utterance: String) -> String {
        let query = blankingQuestionWords(core(utterance), replacement: { $0 == .place ? " 位於 地址 " : " " }) {
            $0 == .definition || $0 == .person
        }.text
        var extra: [String] = []
        var seen = Set<String>()
        for term in SearchTerms.terms(query, forQuery: true) {
            guard let alternatives = paraphrases[SearchTerms.stem(term)] else { continue }
            for a in alternatives where seen.insert(a).inserted { extra.append(a) }
        }
        return extra.isEmpty ? query : query + " " + extra.joined(separator: " ")
    }

    /// Search terms a question's term also stands for ("誕生" → a passage saying "衍生" or "成立";
    /// English ones stemmed as `SearchTerms.stem` does): the few paraphrases visitors use for
    /// what a knowledge base words otherwise.
    public static let paraphrases: [String: [String]] = [
        "誕生": ["成立", "衍生", "創立", "創辦", "孕育", "源自"],
        "出來": ["成立", "衍生", "創立", "創辦", "孕育", "源自"],
        "成立": ["創立", "設立", "創辦"],
        "創立": ["成立", "創辦", "設立"],
        "創辦": ["創立", "成立"],
        "設立": ["成立", "設置"],
        "員工": ["人員"],
        "孵化": ["孕育", "衍生", "育成"],
        "有名": ["著名", "知名"],
        "人員": ["員工"],
        "經費": ["收入", "預算", "資金"],
        "研究": ["研發"],
        "研發": ["研究"],
        "地址": ["位於"],
        "found": ["establish", "creat", "start"],
        "establish": ["found", "creat"],
        "headquarter": ["locat", "campus"],
        "employe": ["employ", "staff", "people"],
        "staff": ["employ", "people"],
        "start": ["found", "began", "launch"],
    ]

    /// `text` with its Chinese question words replaced by `replacement` (longest match first) unless
    /// `keep` says otherwise, and the kinds of all the question words found, in order.
    public static func blankingQuestionWords(_ text: String, replacement: (QuestionKind) -> String = { _ in " " },
                                             keep: (QuestionKind) -> Bool) -> (text: String, kinds: [QuestionKind]) {
        let scalars = Array(text.unicodeScalars)
        var out = String.UnicodeScalarView()
        var kinds: [QuestionKind] = []
        var changed = false
        var i = 0
        while i < scalars.count {
            var matched: (length: Int, kind: QuestionKind)?
            if LanguageDetector.isIdeograph(scalars[i]), let candidates = questionPhrasesByFirst[scalars[i]] {
                for (phrase, kind) in candidates where phrase.count > (matched?.length ?? 0) && i + phrase.count <= scalars.count {
                    if scalars[i..<(i + phrase.count)].elementsEqual(phrase) { matched = (phrase.count, kind) }
                }
            }
            if let m = matched {
                kinds.append(m.kind)
                if keep(m.kind) {
                    out.append(contentsOf: scalars[i..<(i + m.length)])
                } else {
                    out.append(contentsOf: replacement(m.kind).unicodeScalars)
                    changed = true
                }
                i += m.length
            } else {
                out.append(scalars[i])
                i += 1
            }
        }
        return (changed ? String(out) : text, kinds)
    }

    /// Chinese question words by the kind of answer they ask for.
    public static let chineseQuestionPhrases: [(kind: QuestionKind, phrases: [String])] = [
        (.when, ["是什麼時候", "是甚麼時候", "在什麼時候", "什麼時間", "是哪一年", "在哪一年", "哪一年", "哪年", "什麼時候", "甚麼時候", "什么时候", "何時", "幾年", "哪一天", "哪天", "幾月", "幾號", "哪個年代", "幾點"]),
        (.place, ["是什麼地方", "在什麼地方", "在哪裡", "在哪裏", "在哪兒", "在哪", "哪裡", "哪裏", "哪里", "哪兒", "什麼地方", "甚麼地方", "哪個城市", "哪個地方", "哪個國家", "何處", "何地"]),
        (.person, ["是什麼人", "是誰", "誰", "哪位", "哪一位", "什麼人", "何人", "叫什麼名字"]),
        (.quantity, ["有多少", "多少", "幾個", "幾位", "幾名", "幾項", "幾家", "幾座", "幾次", "幾種", "幾間", "幾所", "幾屆", "幾台", "幾件", "多大", "多高", "多長", "多遠", "多久", "多重"]),
        (.list, ["有哪些", "哪些", "有什麼", "有甚麼"]),
        (.definition, ["是什麼", "是甚麼", "是什么", "什麼是", "甚麼是", "是啥", "什麼東西", "叫什麼", "什麼", "甚麼", "什么"]),
        (.explanation, ["從哪裡來", "從哪裏來", "從哪來", "是怎麼", "怎麼", "怎样", "怎樣", "如何", "為什麼", "為何", "为什么"]),
        // Not question words, but as empty of topic: "大概有幾個人", "到底是誰".
        (.other, ["是否", "有沒有", "是不是", "嗎", "大概", "大約", "到底", "究竟", "一下"]),
    ]

    private static let questionPhrasesByFirst: [Unicode.Scalar: [([Unicode.Scalar], QuestionKind)]] = {
        var map: [Unicode.Scalar: [([Unicode.Scalar], QuestionKind)]] = [:]
        for (kind, phrases) in chineseQuestionPhrases {
            for p in phrases {
                let scalars = Array(p.unicodeScalars)
                map[scalars[0], default: []].append((scalars, kind))
            }
        }
        return map
    }()

    // MARK: Word lists (longest first within a list does not matter: matching tries them all)

    /// Lead-ins and politeness at the start of a question.
    static let chineseLeadIns: [String] = [
        "嗯嗯", "嗯", "呃", "喔", "哦", "噢", "哇", "欸", "誒", "唉", "耶", "好的", "好啊", "好喔", "好", "謝謝你", "謝謝", "感謝",
        "不好意思", "對不起", "對了", "那麼", "那個", "那", "然後呢", "然後", "所以說", "所以", "還有", "另外", "再來", "接著", "順便問一下",
        "請問一下", "請問", "想請問一下", "想請問", "我想請問", "我想問一下", "我想問", "想問一下", "想問", "問一下", "我想要知道", "我想知道",
        "我想了解", "我想要了解", "想知道", "可以告訴我", "可不可以告訴我", "能不能告訴我", "能告訴我", "請告訴我", "告訴我", "跟我說",
        "你知道", "你知不知道", "您知道", "麻煩你", "麻煩", "哈囉", "你好", "您好", "嗨",
    ]
    /// Particles and tags at the end of a question.
    static let chineseTrailers: [String] = ["你知道嗎", "知道嗎", "啊", "呢", "嗎", "喔", "呀", "吧", "耶", "哦", "嘛", "啦", "咧", "哩", "謝謝", "好嗎"]
    static let englishLeadIns: [String] = [
        "um", "umm", "uh", "uhh", "er", "hmm", "so", "well", "ok", "okay", "and", "then", "now", "also", "hi", "hello", "hey",
        "there", "thanks", "thank you", "cool", "great", "wow", "nice", "oh", "please", "excuse me", "sorry", "by the way",
        "could you please tell me", "could you tell me", "can you please tell me", "can you tell me", "would you tell me",
        "please tell me", "tell me", "i want to know", "i'd like to know", "i would like to know", "i wonder", "i was wondering",
        "do you know", "do you happen to know", "may i ask", "can i ask", "let me ask", "one more question",
    ]
    static let englishTrailers: [String] = ["please", "thanks", "thank you", "do you know", "if you know"]

    private static let chineseLeadInScalars = chineseLeadIns.map { Array($0.unicodeScalars) }.sorted { $0.count > $1.count }
    private static let chineseTrailerScalars = chineseTrailers.map { Array($0.unicodeScalars) }.sorted { $0.count > $1.count }
    private static let englishLeadInScalars = englishLeadIns.map { Array($0.unicodeScalars) }.sorted { $0.count > $1.count }
    private static let englishTrailerScalars = englishTrailers.map { Array($0.unicodeScalars) }.sorted { $0.count > $1.count }

    /// Question words: a sentence with one of them asks something even without "?".
    static let chineseQuestionMarks: [String] = ["誰", "哪", "什麼", "甚麼", "什么", "怎麼", "怎样", "怎樣", "如何", "為什麼", "為何", "多少", "幾", "嗎", "何時", "是否", "有沒有", "是不是"]
    static let englishQuestionWords: Set<String> = ["what", "when", "where", "who", "whom", "whose", "which", "why", "how", "is", "are", "does", "do", "did", "can", "could"]
    private static let chineseQuestionMarkScalars = chineseQuestionMarks.map { Array($0.unicodeScalars) }

    // MARK: Scalars

    private static func isTerminator(_ s: Unicode.Scalar) -> Bool {
        switch s {
        case "。", "！", "？", "!", "?", "…", "\n", "；", ";": return true
        default: return false
        }
    }

    /// Separators a lead-in may be followed by (and that are dropped with it).
    private static func isSeparator(_ s: Unicode.Scalar) -> Bool {
        switch s {
        case " ", "\t", "，", ",", "、", "：", ":", "～", "~", "…", ".", "-", "—", "！", "!", "。": return true
        default: return false
        }
    }

    /// Splits at sentence terminators, keeping each terminator.
    private static func split(_ scalars: [Unicode.Scalar]) -> [[Unicode.Scalar]] {
        var out: [[Unicode.Scalar]] = []
        var current: [Unicode.Scalar] = []
        var i = 0
        while i < scalars.count {
            let s = scalars[i]
            current.append(s)
            // Not at "." (abbreviations, decimals): "Thanks. When …" keeps one sentence, whose
            // lead-in "thanks." is stripped anyway.
            if isTerminator(s) {
                while i + 1 < scalars.count, isTerminator(scalars[i + 1]) {
                    i += 1
                    current.append(scalars[i])
                }
                out.append(current)
                current = []
            }
            i += 1
        }
        if !current.isEmpty { out.append(current) }
        return out
    }

    private static func asksSomething(_ s: [Unicode.Scalar]) -> Bool {
        if s.contains("?") || s.contains("？") { return true }
        for mark in chineseQuestionMarkScalars where contains(s, mark) { return true }
        let words = String(String.UnicodeScalarView(s)).lowercased().split { !$0.isLetter }
        return words.first.map { englishQuestionWords.contains(String($0)) } ?? false
    }

    private static func hasContent(_ s: [Unicode.Scalar]) -> Bool {
        s.contains { LanguageDetector.isIdeograph($0) || $0.properties.isAlphabetic || $0.properties.numericType != nil }
    }

    /// Drops lead-ins at the start and particles at the end, repeatedly.
    private static func strip(_ sentence: [Unicode.Scalar]) -> [Unicode.Scalar] {
        var s = ArraySlice(sentence)
        func trimSeparators() {
            while let f = s.first, isSeparator(f) { s.removeFirst() }
        }
        trimSeparators()
        var changed = true
        while changed && !s.isEmpty {
            changed = false
            for lead in chineseLeadInScalars where s.starts(with: lead) {
                let rest = s.dropFirst(lead.count)
                // Keep a lead-in that is the start of a longer word ("那斯達克" is not "那"): only
                // drop it when a separator, another ideograph run or nothing follows it.
                if lead.count == 1, let next = rest.first, LanguageDetector.isIdeograph(next), !leadInBeforeIdeograph(lead[0]) { continue }
                s = rest
                trimSeparators()
                changed = true
                break
            }
            if changed { continue }
            for lead in englishLeadInScalars where startsWithWord(s, lead) {
                s = s.dropFirst(lead.count)
                trimSeparators()
                changed = true
                break
            }
        }
        // The end: terminators, particles, politeness.
        changed = true
        while changed && !s.isEmpty {
            changed = false
            while let l = s.last, isTerminator(l) || isSeparator(l) || l == "?" || l == "？" {
                s.removeLast()
                changed = true
            }
            for trailer in chineseTrailerScalars where s.count > trailer.count && s.reversed().starts(with: trailer.reversed()) {
                s.removeLast(trailer.count)
                changed = true
                break
            }
            for trailer in englishTrailerScalars where endsWithWord(s, trailer) {
                s.removeLast(trailer.count)
                changed = true
                break
            }
        }
        return Array(s)
    }

    /// Single-character lead-ins that are dropped even right before an ideograph ("那工研院…",
    /// "嗯院長…"): interjections, and "那" ("then") which rarely starts a topic word in a question.
    private static func leadInBeforeIdeograph(_ s: Unicode.Scalar) -> Bool {
        switch s {
        case "嗯", "呃", "喔", "哦", "噢", "哇", "欸", "誒", "唉", "那", "嗨": return true
        default: return false
        }
    }

    private static func lower(_ s: Unicode.Scalar) -> Unicode.Scalar {
        s.value >= 0x41 && s.value <= 0x5A ? Unicode.Scalar(s.value | 0x20)! : s
    }

    private static func isWordScalar(_ s: Unicode.Scalar) -> Bool {
        s.properties.isAlphabetic || s.properties.numericType != nil || s == "'" || s == "’"
    }

    private static func startsWithWord(_ s: ArraySlice<Unicode.Scalar>, _ word: [Unicode.Scalar]) -> Bool {
        guard s.count > word.count else { return false }
        for (k, w) in word.enumerated() where lower(s[s.startIndex + k]) != w { return false }
        return !isWordScalar(s[s.startIndex + word.count])
    }

    private static func endsWithWord(_ s: ArraySlice<Unicode.Scalar>, _ word: [Unicode.Scalar]) -> Bool {
        guard s.count > word.count else { return false }
        let start = s.endIndex - word.count
        for (k, w) in word.enumerated() where lower(s[start + k]) != w { return false }
        return !isWordScalar(s[start - 1])
    }

    private static func contains(_ haystack: [Unicode.Scalar], _ needle: [Unicode.Scalar]) -> Bool {
        guard !needle.isEmpty, needle.count <= haystack.count else { return needle.isEmpty }
        for i in 0...(haystack.count - needle.count) where haystack[i] == needle[0] {
            var k = 1
            while k < needle.count && haystack[i + k] == needle[k] { k += 1 }
            if k == needle.count { return true }
        }
        return false
    }
}

/// The kind of answer a question asks for: a date (when), a place (where), a person (who), a
/// number (how many), a list (which ones), a definition (what is), an explanation (how, why).
public enum QuestionKind: Sendable, Equatable, CaseIterable {
    case when, place, person, quantity, list, definition, explanation, other
}
