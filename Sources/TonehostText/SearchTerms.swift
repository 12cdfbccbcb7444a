/// Turns text into search terms shared by indexing and querying, so both sides agree:
/// English/Latin words lower-cased (stop words dropped for queries), numbers kept, and runs of
/// CJK ideographs as overlapping bigrams ("工研院" → "工研", "研院"); a lone ideograph is kept
/// as itself. Bigrams let two-character Chinese words match without a dictionary.
public enum SearchTerms {
    public static let englishStopWords: Set<String> = [
        "a", "an", "the", "and", "or", "of", "to", "in", "on", "at", "for", "by", "with", "from", "is", "are", "was",
        "were", "be", "been", "it", "its", "this", "that", "these", "those", "what", "which", "who", "whom", "how",
        "when", "where", "why", "do", "does", "did", "can", "could", "would", "should", "will", "about", "tell",
        "me", "you", "your", "i", "my", "we", "our", "us", "please", "kind", "some", "any", "there", "as", "into",
        "than", "then", "so", "if", "not", "no", "yes", "have", "has", "had", "they", "them", "their", "he", "she",
        "his", "her", "know", "like", "much", "many", "more", "most", "also", "just", "get", "give",
    ]
    /// Common Chinese function characters; bigrams made only of these carry no meaning.
    public static let chineseStopCharacters: Set<Character> = [
        "的", "是", "在", "了", "和", "與", "及", "或", "嗎", "呢", "吧", "啊", "喔", "什", "麼", "怎", "如", "何", "哪",
        "請", "我", "你", "您", "他", "她", "它", "們", "這", "那", "個", "有", "也", "就", "都", "而", "之", "為", "對",
    ]

    /// `chineseStopCharacters` as scalars (each is one scalar), for the scalar-level hot path.
    public static let chineseStopScalars: Set<Unicode.Scalar> = Set(chineseStopCharacters.compactMap { $0.unicodeScalars.first })

    /// Terms of `text`. With `forQuery`, stop words and function-only bigrams are removed.
    ///
    /// Works on Unicode scalars with an ASCII fast path (this runs for every query and every
    /// candidate sentence): a letter or number starts or continues a word, an ideograph a CJK
    /// run, anything else ends both; a combining mark continues a word as it would the
    /// grapheme it belongs to.
    public static func terms(_ text: String, forQuery: Bool = false) -> [String] {
        var out: [String] = []
        var word: [UInt8] = []
        var wordIsASCII = true
        var run: [Unicode.Scalar] = []

        func flushWord() {
            guard !word.isEmpty else { return }
            let w: String
            if wordIsASCII {
                for i in word.indices where word[i] >= 0x41 && word[i] <= 0x5A { word[i] |= 0x20 }
                w = String(decoding: word, as: UTF8.self)
            } else {
                w = String(decoding: word, as: UTF8.self).lowercased()
            }
            word.removeAll(keepingCapacity: true)
            wordIsASCII = true
            if forQuery && englishStopWords.contains(w) { return }
            out.append(normalizeEnglish(w))
        }
        func flushRun() {
            guard !run.isEmpty else { return }
            if run.count == 1 {
                if !(forQuery && chineseStopScalars.contains(run[0])) { out.append(String(Character(run[0]))) }
            } else {
                for k in 0..<(run.count - 1) {
                    let a = run[k], b = run[k + 1]
                    if forQuery && chineseStopScalars.contains(a) && chineseStopScalars.contains(b) { continue }
                    var pair = String.UnicodeScalarView()
                    pair.append(a)
                    pair.append(b)
                    out.append(String(pair))
                }
            }
            run.removeAll(keepingCapacity: true)
        }

        for scalar in text.unicodeScalars {
            let v = scalar.value
            if v < 0x80 {
                let b = UInt8(v)
                if (b >= 0x61 && b <= 0x7A) || (b >= 0x41 && b <= 0x5A) || (b >= 0x30 && b <= 0x39) {
                    flushRun()
                    word.append(b)
                } else {
                    flushWord()
                    flushRun()
                }
            } else if LanguageDetector.isIdeograph(scalar) {
                flushWord()
                run.append(scalar)
            } else if scalar.properties.isAlphabetic || scalar.properties.numericType != nil {
                flushRun()
                word.append(contentsOf: String(scalar).utf8)
                wordIsASCII = false
            } else if isGraphemeExtender(scalar) {
                // Part of the previous character: continues a word (ignored after anything else).
                if !word.isEmpty {
                    word.append(contentsOf: String(scalar).utf8)
                    wordIsASCII = false
                }
            } else {
                flushWord()
                flushRun()
            }
        }
        flushWord()
        flushRun()
        return out
    }

    /// Combining marks, ZWJ and variation selectors: they never start a character of their own.
    @inline(__always)
    static func isGraphemeExtender(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x200D, 0xFE00...0xFE0F, 0xE0100...0xE01EF: return true
        default: break
        }
        switch scalar.properties.generalCategory {
        case .nonspacingMark, .spacingMark, .enclosingMark: return true
        default: return false
        }
    }

    /// A light English stemmer: folds plurals and a few suffixes so "spin-offs" meets
    /// "spin-off" and "researches" meets "research". Words that are not ASCII letters only, or
    /// have 3 letters or fewer, are returned as they are.
    public static func normalizeEnglish(_ w: String) -> String {
        let u = w.utf8
        guard u.count > 3, u.allSatisfy({ ($0 >= 0x61 && $0 <= 0x7A) || ($0 >= 0x41 && $0 <= 0x5A) }) else { return w }
        let b = Array(u)
        func ends(_ suffix: StaticString) -> Bool {
            let n = suffix.utf8CodeUnitCount
            guard b.count >= n else { return false }
            let p = suffix.utf8Start
            for i in 0..<n where b[b.count - n + i] != p[i] { return false }
            return true
        }
        func drop(_ n: Int, adding tail: String = "") -> String { String(decoding: b[0..<(b.count - n)], as: UTF8.self) + tail }
        if ends("ies") && b.count > 4 { return drop(3, adding: "y") }
        if ends("sses") { return drop(2) }
        if ends("ss") || ends("us") || ends("is") { return w }
        if ends("es") && (ends("ches") || ends("shes") || ends("xes")) { return drop(2) }
        if ends("s") { return drop(1) }
        return w
    }
}
