import TonehostText

/// The question kinds (TonehostText's `QuestionKind`) steer the choice of sentences: "when"
/// wants a date, "where" a place or an address, "who" a person, "how many" a number, "what is"
/// a definition, "how / why" an explanation, "which ones" a list.
typealias QuestionType = QuestionKind

/// A question as the answerer reads it, computed once per question.
struct QuestionAnalysis {
    /// The question without chit-chat, lead-ins and politeness (`QuestionFocus.core`).
    let focus: String
    /// `focus` with its question words ("是哪一年", "在哪裡", "是誰", "what year") replaced by a
    /// space, so that no search term straddles them ("年成" from "哪一年成立").
    let content: String
    let type: QuestionType
    /// The topic the question is about, as it opens the question ("工研院" in 工研院是哪一年成立的,
    /// "台積電", "STOBA"): scalars, nil when none stands out.
    let subject: [Unicode.Scalar]?
    /// A who / what question with no year of its own: "院長是誰？" means the current one.
    let prefersCurrent: Bool

    init(_ question: String) {
        focus = QuestionFocus.core(question)
        let blanked = QuestionFocus.blankingQuestionWords(focus) { _ in false }
        var found = blanked.kinds
        var type: QuestionType?
        let scalars = Array(blanked.text.unicodeScalars)
        // English: the question word(s) (they are stop words for the terms already).
        let words = ByteSearch.asciiLowercased(focus).split { !($0.isLetter || $0.isNumber || $0 == "'") }.map(String.init)
        for (k, w) in words.enumerated() {
            let next = k + 1 < words.count ? words[k + 1] : ""
            switch w {
            case "when": found.append(.when)
            case "what", "which":
                if next == "year" || next == "date" || next == "decade" { found.append(.when) }
                else if next == "city" || next == "country" || next == "address" { found.append(.place) }
                else if ["is", "are", "was", "were", "'s", "s"].contains(next) || w == "what" && k + 1 == words.count { found.append(.definition) }
                else { found.append(.list) }
            case "what's": found.append(.definition)
            case "where", "where's": found.append(.place)
            case "who", "whom", "who's", "whose": found.append(.person)
            case "how":
                if next == "many" || next == "much" || next == "big" || next == "large" || next == "long" || next == "old" { found.append(.quantity) }
                else { found.append(.explanation) }
            case "why": found.append(.explanation)
            default: break
            }
        }
        // The most specific kind wins ("哪一年" over "什麼", "how many" over "what").
        for t in [QuestionType.when, .place, .person, .quantity, .list, .definition, .explanation] where found.contains(t) {
            type = t
            break
        }
        self.type = type ?? .other
        content = Self.blankingEnglishKindWords(blanked.text)
        subject = scalars.contains(where: LanguageDetector.isIdeograph) ? Self.subject(of: scalars) : Self.englishSubject(focus)
        let hasYear = SentenceFeatures.hasDate(Array(focus.unicodeScalars))
        let lowered = ByteSearch.asciiLowercased(focus)
        let asksCurrent = ["現在", "目前", "現任", "current", "now"].contains { ByteSearch.contains(lowered, $0) }
        let kind = type ?? .other
        prefersCurrent = asksCurrent || (!hasYear && (kind == .person || kind == .definition || kind == .other))
    }

    /// The opening topic of the question's content: its first run of ideographs / letters and
    /// digits, up to a function character ("是", "的", "有", "在", …) or a question word.
    private static func subject(of scalars: [Unicode.Scalar]) -> [Unicode.Scalar]? {
        var start = 0
        while start < scalars.count, !isTopicScalar(scalars[start]) { start += 1 }
        var end = start
        while end < scalars.count {
            let s = scalars[end]
            if subjectStops.contains(s) { break }
            if isTopicScalar(s) || (s == " " && end + 1 < scalars.count && scalars[end + 1].isASCII && isTopicScalar(scalars[end + 1])
                                    && end > start && scalars[end - 1].isASCII) || s == "-" || s == "&" {
                end += 1
            } else {
                break
            }
        }
        let run = Array(scalars[start..<end])
        let ideographs = run.filter(LanguageDetector.isIdeograph).count
        let letters = run.filter { $0.isASCII && $0.properties.isAlphabetic }.count
        guard (ideographs >= 2 || letters >= 2) && run.count <= 12 else { return nil }
        return run
    }

    /// "which year", "what time", "which city": the noun only says what kind of answer is wanted.
    private static func blankingEnglishKindWords(_ text: String) -> String {
        var bytes = Array(text.utf8)
        let lower = Array(ByteSearch.asciiLowercased(text).utf8)
        var changed = false
        for phrase in englishKindPhrases {
            var i = 0
            while i + phrase.count <= lower.count {
                let startsWord = i == 0 || !(lower[i - 1] >= 0x61 && lower[i - 1] <= 0x7A)
                let end = i + phrase.count
                let endsWord = end == lower.count || !(lower[end] >= 0x61 && lower[end] <= 0x7A)
                if startsWord && endsWord && lower[i..<end].elementsEqual(phrase) {
                    // Keep the question word, blank the noun after it.
                    let space = phrase.firstIndex(of: 0x20)!
                    for k in (i + space)..<end { bytes[k] = 0x20 }
                    changed = true
                }
                i += 1
            }
        }
        return changed ? String(decoding: bytes, as: UTF8.self) : text
    }

    private static let englishKindPhrases: [[UInt8]] = [
        "what year", "which year", "what date", "what time", "what day", "which day", "what month", "which month",
        "which city", "what city", "which country", "what country", "what place",
    ].map { Array($0.utf8) }

    /// An English question's subject: its first run of capitalized words after the question
    /// word ("ITRI" in "When was ITRI founded", "ITRI Open Lab" in "What is the ITRI Open Lab").
    private static func englishSubject(_ focus: String) -> [Unicode.Scalar]? {
        let words = focus.split(separator: " ").map { word -> Substring in
            var w = word
            while let last = w.last, !(last.isLetter || last.isNumber) { w.removeLast() }
            if w.hasSuffix("'s") || w.hasSuffix("’s") { w.removeLast(2) }
            return w
        }
        var run: [Substring] = []
        for (k, w) in words.enumerated() {
            let capitalized = w.first.map { $0.isUppercase } ?? false
            if capitalized && !(k == 0 && SearchTerms.englishStopWords.contains(w.lowercased())) {
                run.append(w)
            } else if !run.isEmpty {
                break
            }
        }
        guard !run.isEmpty else { return nil }
        return Array(run.joined(separator: " ").unicodeScalars)
    }

    private static func isTopicScalar(_ s: Unicode.Scalar) -> Bool {
        LanguageDetector.isIdeograph(s) || (s.isASCII && (s.properties.isAlphabetic || s.properties.numericType != nil))
    }

    private static let subjectStops: Set<Unicode.Scalar> = ["是", "的", "有", "在", "從", "於", "為", "跟", "對", "把", "被", "要", "會", "能", "可", "和", "與", "及", "怎", "如", "哪", "什", "誰", "多", "幾", "嗎", "呢"]

    /// Words a question's term also matches (`QuestionFocus.paraphrases`).
    static var alternatives: [String: [String]] { QuestionFocus.paraphrases }

    /// Title bigrams that name where something is rather than another thing: a "where"
    /// question about 工研院 is answered by 工研院總部's address.
    static let placeHeads: Set<String> = ["總部", "院區", "地址", "位於", "設於"]
}

/// What a sentence offers the question kinds, found once per sentence (PassageSentences).
struct SentenceFeatures: Sendable {
    /// A year, a date or a time of day ("1973年", "2025年10月", "9:00", "九點").
    var date = false
    var place = false
    var person = false
    var number = false
    var list = false
    var explanation = false
    var current = false
    /// Opens with a person ("胡副院長曾任…", "王兆振博士是…", "他…", "目前他…").
    var personLead = false

    init(_ text: String) {
        let s = Array(text.unicodeScalars)
        date = Self.hasDate(s)
        number = date || s.contains { $0.isASCII && $0.properties.numericType != nil } || Self.hasChineseCount(s)
        let lower = ByteSearch.asciiLowercased(text)
        func any(_ words: [String]) -> Bool { words.contains { ByteSearch.contains(lower, $0) } }
        place = any(["位於", "地址", "設於", "坐落", "座落", "總部", "院區", "located", "headquarter", " road", " street", "campus", "township", "county", "district", "address"])
            || Self.hasAddressNumber(s)
        person = any(["博士", "先生", "女士", "教授", "擔任", "接任", "出任", "創辦人", "帶領", "領軍", "dr.", "mr.", "ms.", "president", "chairman", "founder", "led by"])
            || Self.hasInnerCapitalizedPair(s)
        list = s.filter { $0 == "、" }.count >= 2 || any(["包括", "包含", "涵蓋", "例如", "如下", "：", "include", "such as", "cover", "range"])
            || s.filter { $0 == "," }.count >= 2
        explanation = any(["透過", "藉由", "因為", "由於", "源於", "源自", "衍生", "因此", "為了", "於是", "促成", "催生", "孕育", " by ", "through", "because", "out of", "led to", "so that"])
        current = any(["現任", "目前", "現為", "現在", "current", "today", " now "])
        let head = String(String.UnicodeScalarView(s.prefix(7)))
        personLead = s.first.map { $0 == "他" || $0 == "她" } ?? false
            || ["博士", "先生", "女士", "教授", "副院長", "院長", "董事長", "所長", "執行長", "目前他", "現在他"].contains { ByteSearch.contains(head, $0) }
    }

    /// A four-digit year (1xxx / 2xxx) standing alone; digits right before 年 / 月 / 日 / 點 / 時;
    /// a clock time ("9:00"); a Chinese numeral before 點 ("九點").
    static func hasDate(_ s: [Unicode.Scalar]) -> Bool {
        var i = 0
        while i < s.count {
            guard isDigit(s[i]) else {
                if chineseNumerals.contains(s[i]), i + 1 < s.count, s[i + 1] == "點" { return true }
                i += 1
                continue
            }
            var j = i
            while j < s.count && isDigit(s[j]) { j += 1 }
            let before = i > 0 ? s[i - 1] : " "
            if j < s.count && (s[j] == "年" || s[j] == "月" || s[j] == "日" || s[j] == "點" || s[j] == "時") { return true }
            if j + 1 < s.count && s[j] == ":" && isDigit(s[j + 1]) && j - i <= 2 { return true }
            if j - i == 4 && (s[i] == "1" || s[i] == "2") && before != "+" && before != "-" && before != "#"
                && (j == s.count || !(s[j] == "-" && j + 1 < s.count && isDigit(s[j + 1]))) {
                return true
            }
            i = j
        }
        return false
    }

    private static func isDigit(_ s: Unicode.Scalar) -> Bool { s.value >= 0x30 && s.value <= 0x39 }

    private static let chineseNumerals: Set<Unicode.Scalar> = ["一", "二", "兩", "三", "四", "五", "六", "七", "八", "九", "十", "百", "千", "萬", "數"]
    private static let measures: Set<Unicode.Scalar> = ["位", "名", "個", "項", "家", "件", "座", "間", "種", "次", "億", "萬", "千", "百", "所", "屆", "台", "年", "大", "人"]

    private static func hasChineseCount(_ s: [Unicode.Scalar]) -> Bool {
        guard s.count > 1 else { return false }
        for k in 0..<(s.count - 1) where chineseNumerals.contains(s[k]) && measures.contains(s[k + 1]) { return true }
        return false
    }

    /// "195號", "路二段321號": digits then 號 / 樓.
    private static func hasAddressNumber(_ s: [Unicode.Scalar]) -> Bool {
        guard s.count > 1 else { return false }
        for k in 1..<s.count where (s[k] == "號" || s[k] == "樓") && isDigit(s[k - 1]) { return true }
        return false
    }

    /// "… with Morris Chang as …": two capitalized words after the sentence's first word.
    private static func hasInnerCapitalizedPair(_ s: [Unicode.Scalar]) -> Bool {
        var words: [(upper: Bool, start: Int)] = []
        var i = 0
        while i < s.count {
            if s[i].isASCII && s[i].properties.isAlphabetic {
                let start = i
                while i < s.count && s[i].isASCII && (s[i].properties.isAlphabetic || s[i] == "-") { i += 1 }
                words.append((s[start].properties.isUppercase && i - start > 1 && !(s[start..<i].allSatisfy { $0.properties.isUppercase }), start))
            } else {
                i += 1
            }
        }
        guard words.count > 2 else { return false }
        for k in 1..<(words.count - 1) where words[k].upper && words[k + 1].upper { return true }
        return false
    }
}
