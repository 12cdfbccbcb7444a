import Foundation
import TonehostText

/// Sentence-level rules for English. Each function takes one sentence and returns it rewritten
/// (possibly as several shorter sentences); none of them drops or reorders content words.
enum EnglishStyle {
    static let simpleWords = TextEdit.wordRewrites(ToneLexicon.simpleWords)
    static let casualWords = TextEdit.wordRewrites(ToneLexicon.casualWords)
    static let formalWords = TextEdit.wordRewrites(ToneLexicon.formalWords)

    /// "do not" → "don't", only before another word ("I know what it is." stays).
    static let contract: [Rewrite] = [
        Rewrite(#"(?<![\w'’-])will\s+not(?![\w'’-])"#, "won't", needs: ["not"]),
        Rewrite(#"(?<![\w'’-])can\s*not(?![\w'’-])"#, "can't", needs: ["not"]),
        Rewrite(#"(?<![\w'’-])(do|does|did|is|are|was|were|has|have|had|would|could|should)\s+not(?![\w'’-])"#, "$1n't", needs: ["not"]),
        Rewrite(#"(?<![\w'’-])(it|that|there|what|here|he|she|who|where)\s+is(?=\s+(?!not\b)[A-Za-z0-9])"#, "$1's", needs: ["is"]),
        Rewrite(#"(?<![\w'’-])(I)\s+am(?=\s+(?!not\b)[A-Za-z0-9])"#, "$1'm", needs: ["am"]),
        Rewrite(#"(?<![\w'’-])(you|we|they)\s+are(?=\s+(?!not\b)[A-Za-z0-9])"#, "$1're", needs: ["are"]),
        Rewrite(#"(?<![\w'’-])(I|you|we|they|he|she|it|that|there)\s+will(?=\s+(?!not\b)[A-Za-z])"#, "$1'll", needs: ["will"]),
        Rewrite(#"(?<![\w'’-])(I|you|we|they)\s+have(?=\s+(?:been|got|seen|made|done|had|heard|found)\b)"#, "$1've", needs: ["have"]),
    ]

    /// "n't" and "n’t": what a contraction's expression needs in the text.
    static func apostrophe(_ before: String, _ after: String) -> [String] {
        [before + "'" + after, before + "’" + after]
    }

    /// "don't" → "do not" (clear for elders, formal for professionals).
    static let expand: [Rewrite] = [
        Rewrite(#"\bcan['’]t\b"#, "cannot", needs: apostrophe("can", "t")),
        Rewrite(#"\bwon['’]t\b"#, "will not", needs: apostrophe("won", "t")),
        Rewrite(#"\bshan['’]t\b"#, "shall not", needs: apostrophe("shan", "t")),
        Rewrite(#"\b(do|does|did|is|are|was|were|has|have|had|would|could|should|must|need)n['’]t\b"#, "$1 not", needs: apostrophe("n", "t")),
        Rewrite(#"\b(I)['’]m\b"#, "$1 am", needs: apostrophe("", "m")),
        Rewrite(#"\b(you|we|they|who|what)['’]re\b"#, "$1 are", needs: apostrophe("", "re")),
        Rewrite(#"\b(I|you|we|they|who)['’]ve\b"#, "$1 have", needs: apostrophe("", "ve")),
        Rewrite(#"\b(I|you|we|they|he|she|it|that|there|who|what)['’]ll\b"#, "$1 will", needs: apostrophe("", "ll")),
        Rewrite(#"\b(it|that|there|what|who|here|where|he|she)['’]s(?=\s+been\b)"#, "$1 has", needs: apostrophe("", "s")),
        Rewrite(#"\b(it|that|there|what|who|here|where|he|she|how)['’]s\b"#, "$1 is", needs: apostrophe("", "s")),
        Rewrite(#"\blet['’]s\b"#, "let us", needs: apostrophe("let", "s")),
    ]

    /// Fillers the professional tone drops.
    static let fillers: [Rewrite] = [
        Rewrite(#"^\s*(?:(?:so|well|okay|ok|oh|um|uh|hmm|anyway|anyways|basically|actually|honestly|frankly|look|listen|you know|I mean)\s*,\s*)+"#, "", needs: [","]),
        Rewrite(#",\s*(?:you know|I mean|like)\s*,"#, " ", needs: [","]),
        Rewrite(#"(?<![\w'’-])just\s+(?=[0-9])"#, "only ", needs: ["just"]),
        Rewrite(#"(?<![\w'’-])(?:about|around|roughly)\s+(?=[0-9])"#, "approximately ", needs: ["about", "around", "roughly"]),
        // Not before a capitalised word: "Just Dance" is a name.
        Rewrite(#"\s*(?<![\w'’-])(?:basically|actually|really|literally|honestly|totally|just)(?![\w'’-])(?!\s+(?-i:[A-Z])),?"#, "", needs: ["basically", "actually", "really", "literally", "honestly", "totally", "just"]),
    ]

    /// Expression tags such as "(smiles)" — the professional tone keeps none.
    static let tags = Rewrite(#"\s*[(（](?:smiles?|smiling|laughs?|laughing|waves?|winks?|giggles?|claps?|nods?|grins?|微笑|笑|揮手|眨眼|拍手)[)）]"#, "", protectNames: false, needs: ["(", "（"])

    // MARK: Tones

    static func child(_ sentence: String, dice: Dice, ordinal: Int) -> [String] {
        let s = simpleWords.apply(sentence)
        let parts = splitClauses(s, minimumWords: 12)
        return parts.enumerated().map { k, part in
            var p = part
            let o = ordinal * 8 + k
            // Never on a number, code, URL or phone number: "Call +886-3-5820100!" is not playful.
            guard DataGuard.allowsExclamation(p) else { return p }
            if dice.oneIn(2, "exclaim", o) { p = exclaim(p) }
            if dice.oneIn(4, "tag", o) { p += dice.pick([" (smiles)", " (smiles)", " (claps)"], "tagword", o) }
            return p
        }
    }

    /// Calm connectives at the start of a sentence: "But …" → "However, …", "Plus, …" → "In addition, …".
    static let calmConnectives: [Rewrite] = [
        Rewrite(#"^But\s+(?=[a-z])"#, "However, ", caseInsensitive: false, protectNames: false),
        Rewrite(#"^(?:Plus|Also),\s+"#, "In addition, ", caseInsensitive: false, protectNames: false),
        Rewrite(#"^So,?\s+(?=(?:it|they|we|you|he|she|the|this|that|there)\b)"#, "Therefore, ", caseInsensitive: false, protectNames: false),
    ]

    static func elder(_ sentence: String) -> [String] {
        var s = expand.apply(sentence)
        s = simpleWords.apply(s)
        s = calm(s)
        return splitClauses(s, minimumWords: 0).map { part in
            ["But ", "Plus,", "Also,", "So "].contains(where: part.hasPrefix) ? calmConnectives.apply(part) : part
        }
    }

    static func professional(_ sentence: String) -> String {
        let capitalised = sentence.first(where: \.isLetter)?.isUppercase ?? false
        var s = removeEmoji(tags.apply(sentence))
        s = expand.apply(s)
        s = formalWords.apply(s)  // before the fillers: "not just" → "not only"
        s = fillers.apply(s)
        s = TextEdit.tidy(s, wasCapitalised: capitalised)
        return StructuredList.english(calm(s))
    }

    static func casual(_ sentence: String, dice: Dice, ordinal: Int, first: Bool) -> String {
        var s = contract.apply(sentence)
        s = casualWords.apply(s)
        // Now and then a light interjection in front of a later sentence.
        if !first, dice.oneIn(4, "interject", ordinal), let lowered = lowerableStart(s) {
            s = dice.pick(["Oh, and ", "Also, ", "Plus, "], "interjection", ordinal) + lowered
        } else if dice.oneIn(6, "tag", ordinal), DataGuard.allowsExclamation(s) {
            s += " (smiles)"
        }
        return s
    }

    // MARK: Helpers

    /// "… in 1973, and it now has …" → "… in 1973." + "It now has …"; also "; " and ", but ".
    /// Only when the sentence has at least `minimumWords` words and each part keeps 3 or more.
    static let clauseBreak = try! NSRegularExpression(
        pattern: #"(?:;\s+|,\s+and\s+(?=(?:it|they|we|you|he|she|I|there|this)\s)|,\s+(?=but\s)|,\s+(?=so\s+(?:it|they|we|you|he|she|I|there|this)\s))"#,
        options: [])

    /// Every clause break starts with one of these.
    static let clauseMarks = [Array(";".utf8), Array(",".utf8)]

    static func splitClauses(_ sentence: String, minimumWords: Int) -> [String] {
        guard ByteSearch.containsAny(sentence, clauseMarks, asciiFolded: false),
              TextEdit.wordCount(sentence) >= max(minimumWords, 6) else { return [sentence] }
        let ns = sentence as NSString
        var parts: [String] = []
        var start = 0
        for m in clauseBreak.matches(in: sentence, range: NSRange(location: 0, length: ns.length)) {
            let head = ns.substring(with: NSRange(location: start, length: m.range.location - start))
            let tail = ns.substring(from: m.range.location + m.range.length)
            // Not inside brackets or quotes, and both sides long enough to stand alone.
            guard TextEdit.wordCount(head) >= 3, TextEdit.wordCount(tail) >= 3,
                  head.filter({ $0 == "(" }).count == head.filter({ $0 == ")" }).count,
                  head.filter({ $0 == "\"" }).count % 2 == 0 else { continue }
            parts.append(head.trimmingCharacters(in: .whitespaces) + ".")
            start = m.range.location + m.range.length
        }
        guard !parts.isEmpty else { return [sentence] }
        parts.append(ns.substring(from: start))
        return parts.enumerated().map { $0.offset == 0 ? $0.element : TextEdit.capitaliseFirstWord($0.element) }
    }

    /// Ends a statement with "!" (not an abbreviation such as "etc." or "U.S.").
    static func exclaim(_ s: String) -> String {
        guard s.hasSuffix("."), !s.hasSuffix(".."), !s.hasSuffix(":") else { return s }
        let lastWord = s.dropLast().split(separator: " ").last.map(String.init) ?? ""
        if lastWord.contains(".") || ["etc", "inc", "ltd", "co", "jr", "sr"].contains(lastWord.lowercased()) { return s }
        return String(s.dropLast()) + "!"
    }

    /// "!" → "." at the end: calm and formal.
    static func calm(_ s: String) -> String {
        var t = s
        var trailing = ""
        while let l = t.last, "\"”’)]".contains(l) { trailing.insert(l, at: trailing.startIndex); t.removeLast() }
        guard t.hasSuffix("!") else { return s }
        while t.hasSuffix("!") { t.removeLast() }
        if !t.hasSuffix("?") { t += "." }
        return t + trailing
    }

    /// The sentence with its first word lower-cased, when that word is a common one
    /// ("The lab…" → "the lab…"); names stay as they are; nil when it cannot follow "So, ".
    static func lowerableStart(_ s: String) -> String? {
        let word = TextEdit.firstWord(s)
        guard let f = word.first, s.first == f else { return nil }
        let lower = word.lowercased()
        if ["the", "it", "this", "that", "there", "these", "those", "they", "we", "its", "their", "our", "most", "many", "some", "each"]
            .contains(lower) {
            return TextEdit.lowercaseFirstWord(s)
        }
        // Acronyms ("ITRI") can follow as they are; other capitalised words may be sentence
        // adverbs ("Today") or names, so no interjection.
        if word.count > 1 && word.filter(\.isUppercase).count > 1 { return s }
        return nil
    }

    static func removeEmoji(_ s: String) -> String {
        guard s.unicodeScalars.contains(where: TextEdit.isEmoji) else { return s }
        var out = String.UnicodeScalarView()
        for scalar in s.unicodeScalars where !TextEdit.isEmoji(scalar) { out.append(scalar) }
        return TextEdit.tidy(String(out), wasCapitalised: false)
    }
}
