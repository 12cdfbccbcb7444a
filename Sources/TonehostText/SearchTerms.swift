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

    /// Terms of `text`. With `forQuery`, stop words and function-only bigrams are removed.
    public static func terms(_ text: String, forQuery: Bool = false) -> [String] {
        var out: [String] = []
        var word = ""
        var run: [Character] = []

        func flushWord() {
            guard !word.isEmpty else { return }
            let w = word.lowercased()
            word = ""
            if forQuery && englishStopWords.contains(w) { return }
            out.append(normalizeEnglish(w))
        }
        func flushRun() {
            guard !run.isEmpty else { return }
            if run.count == 1 {
                if !(forQuery && chineseStopCharacters.contains(run[0])) { out.append(String(run[0])) }
            } else {
                for k in 0..<(run.count - 1) {
                    let a = run[k], b = run[k + 1]
                    if forQuery && chineseStopCharacters.contains(a) && chineseStopCharacters.contains(b) { continue }
                    out.append(String([a, b]))
                }
            }
            run.removeAll()
        }

        for ch in text {
            guard let scalar = ch.unicodeScalars.first else { continue }
            if LanguageDetector.isIdeograph(scalar) {
                flushWord()
                run.append(ch)
            } else if ch.isLetter || ch.isNumber {
                flushRun()
                word.append(ch)
            } else {
                flushWord()
                flushRun()
            }
        }
        flushWord()
        flushRun()
        return out
    }

    /// A light English stemmer: folds plurals and a few suffixes so "spin-offs" meets
    /// "spin-off" and "researches" meets "research".
    public static func normalizeEnglish(_ w: String) -> String {
        guard w.count > 3, w.allSatisfy({ $0.isASCII && $0.isLetter }) else { return w }
        if w.hasSuffix("ies") && w.count > 4 { return String(w.dropLast(3)) + "y" }
        if w.hasSuffix("sses") { return String(w.dropLast(2)) }
        if w.hasSuffix("ss") || w.hasSuffix("us") || w.hasSuffix("is") { return w }
        if w.hasSuffix("es") && (w.hasSuffix("ches") || w.hasSuffix("shes") || w.hasSuffix("xes")) {
            return String(w.dropLast(2))
        }
        if w.hasSuffix("s") { return String(w.dropLast()) }
        return w
    }
}
