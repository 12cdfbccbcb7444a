import Foundation
import TonehostText

/// One regular-expression rewrite of a sentence. Matches that look like names are left alone:
/// an all-capitals match ("IT IS") and a capitalised match that is not at the start of the
/// sentence ("the Children's Museum") — so the small word lists never touch a proper name.
struct Rewrite: @unchecked Sendable {
    let regex: NSRegularExpression
    let template: String
    let protectNames: Bool

    /// For word lists: replacements looked up by the matched phrase (lower-cased, single-spaced).
    let table: [String: String]?
    /// For word lists of ASCII phrases: their first words, lower-cased. A sentence with none of
    /// them as a word cannot match, and skips the regular expression (most sentences, most lists).
    let firstWords: Set<[UInt8]>?
    /// For expressions: byte strings a match always contains (see `init(_:_:needs:)`).
    let needs: [[UInt8]]
    /// For word lists of ASCII phrases: the expression's matches without the expression.
    let matcher: PhraseMatcher?
    let needsFolded: Bool

    init(words pairs: [(String, String)]) {
        let phrases = pairs.map(\.0).sorted { $0.count > $1.count }
        let alternatives = phrases.map { $0.split(separator: " ").map { TextEdit.escape(String($0)) }.joined(separator: "\\s+") }
        let pattern = "(?<![\\w’'-])(?:" + alternatives.joined(separator: "|") + ")(?![\\w’'-])"
        self.regex = try! NSRegularExpression(pattern: pattern, options: [.caseInsensitive])
        self.template = ""
        self.protectNames = true
        self.table = Dictionary(pairs, uniquingKeysWith: { first, _ in first })
        let firsts = phrases.map { Array(($0.split(separator: " ").first.map(String.init) ?? "").lowercased().utf8) }
        self.firstWords = firsts.allSatisfy { !$0.isEmpty && $0.allSatisfy(Self.isWordByte) } ? Set(firsts) : nil
        self.matcher = PhraseMatcher(phrases: phrases)
        self.needs = []
        self.needsFolded = false
    }

    /// The bytes a word-list phrase's word is made of in the prefilter: ASCII letters, digits,
    /// `_`, `'`, `-`. Every character the expression treats as a boundary (not `[\w’'-]`) is
    /// outside this set, so a phrase the expression would find is always a whole word here.
    private static func isWordByte(_ b: UInt8) -> Bool {
        (b >= 0x61 && b <= 0x7A) || (b >= 0x41 && b <= 0x5A) || (b >= 0x30 && b <= 0x39) || b == 0x5F || b == 0x27 || b == 0x2D
    }

    /// Whether `text` has one of `words` as a word (ASCII case-insensitive).
    private static func mentions(_ text: String, anyOf words: Set<[UInt8]>) -> Bool {
        var word: [UInt8] = []
        word.reserveCapacity(32)
        for b in text.utf8 {
            if isWordByte(b) {
                word.append(b >= 0x41 && b <= 0x5A ? b + 0x20 : b)
            } else if !word.isEmpty {
                if words.contains(word) { return true }
                word.removeAll(keepingCapacity: true)
            }
        }
        return !word.isEmpty && words.contains(word)
    }

    /// - needs: literals one of which every match contains (ASCII case-insensitive when the
    ///   expression is): a text with none of them skips the expression. Empty: no prefilter.
    init(_ pattern: String, _ template: String, caseInsensitive: Bool = true, protectNames: Bool = true, needs: [String] = []) {
        self.table = nil
        self.needs = needs.map { Array(caseInsensitive ? ByteSearch.asciiLowercased($0).utf8 : $0.utf8) }
        self.needsFolded = caseInsensitive
        var options: NSRegularExpression.Options = []
        if caseInsensitive { options.insert(.caseInsensitive) }
        // The patterns are literals of this module: a bad one is a programming error.
        self.regex = try! NSRegularExpression(pattern: pattern, options: options)
        self.template = template
        self.protectNames = protectNames
        self.firstWords = nil
        self.matcher = nil
    }

    func apply(_ text: String) -> String {
        if let firstWords, !Self.mentions(text, anyOf: firstWords) { return text }
        if !needs.isEmpty, !ByteSearch.containsAny(text, needs, asciiFolded: needsFolded) { return text }
        if let matcher, let table { return Self.apply(matcher, table, protectNames: protectNames, to: text) }
        let ns = text as NSString
        let matches = regex.matches(in: text, range: NSRange(location: 0, length: ns.length))
        guard !matches.isEmpty else { return text }
        let out = NSMutableString(string: text)
        for m in matches.reversed() {
            let original = ns.substring(with: m.range)
            if protectNames && looksLikeName(original, at: m.range.location, in: ns) { continue }
            let replacement: String
            if let table {
                let key = original.lowercased().split(whereSeparator: { $0.isWhitespace }).joined(separator: " ")
                guard let r = table[key] else { continue }
                replacement = r
            } else {
                replacement = regex.replacementString(for: m, in: text, offset: 0, template: template)
            }
            out.replaceCharacters(in: m.range, with: Self.matchCase(replacement, like: original))
        }
        return out as String
    }

    /// A word list's replacements, matched by `matcher` (the expression's matches, found faster).
    private static func apply(_ matcher: PhraseMatcher, _ table: [String: String], protectNames: Bool, to text: String) -> String {
        let scalars = Array(text.unicodeScalars)
        let matches = matcher.matches(in: scalars)
        guard !matches.isEmpty else { return text }
        var out = String.UnicodeScalarView()
        var copied = 0
        for range in matches {
            let original = String(String.UnicodeScalarView(scalars[range]))
            if protectNames && looksLikeName(original, before: { String(String.UnicodeScalarView(scalars[..<range.lowerBound])) }) { continue }
            let key = original.lowercased().split(whereSeparator: { $0.isWhitespace }).joined(separator: " ")
            guard let replacement = table[key] else { continue }
            out.append(contentsOf: scalars[copied..<range.lowerBound])
            out.append(contentsOf: matchCase(replacement, like: original).unicodeScalars)
            copied = range.upperBound
        }
        guard copied > 0 else { return text }
        out.append(contentsOf: scalars[copied...])
        return String(out)
    }

    private func looksLikeName(_ match: String, at location: Int, in text: NSString) -> Bool {
        Self.looksLikeName(match, before: { text.substring(to: location) })
    }

    private static func looksLikeName(_ match: String, before: () -> String) -> Bool {
        let letters = match.filter(\.isLetter)
        guard let first = letters.first, first.isUppercase else { return false }
        // The pronoun "I" is always capitalised.
        if first == "I", match.hasPrefix("I"), match.dropFirst().first.map({ !$0.isLetter }) ?? true { return false }
        if letters.count > 1 && letters.allSatisfy(\.isUppercase) { return true }
        return before().contains(where: { $0.isLetter || $0.isNumber })
    }

    /// "approximately" → "about" but "Approximately" → "About".
    static func matchCase(_ replacement: String, like original: String) -> String {
        guard let o = original.first(where: \.isLetter), o.isUppercase,
              let r = replacement.first, r.isLowercase else { return replacement }
        return r.uppercased() + replacement.dropFirst()
    }
}

extension Array where Element == Rewrite {
    func apply(_ text: String) -> String { reduce(text) { $1.apply($0) } }
}

enum TextEdit {
    static func escape(_ literal: String) -> String { NSRegularExpression.escapedPattern(for: literal) }

    /// Rewrites from a word list: each phrase is replaced as a whole word, case kept; one
    /// regular expression for the whole list.
    static func wordRewrites(_ pairs: [(String, String)]) -> [Rewrite] {
        [Rewrite(words: pairs)]
    }

    /// Tidies what removals leave behind: double spaces, a space before punctuation, a
    /// dangling comma at the start; re-capitalises the first word when it had been capitalised.
    static func tidy(_ text: String, wasCapitalised: Bool) -> String {
        var s = text
        // Each pair is ASCII: where its bytes are absent it cannot match, and Foundation's
        // search (the costly part, nine times a sentence) is skipped.
        while ByteSearch.contains(s, "  ") {
            let collapsed = s.replacingOccurrences(of: "  ", with: " ")
            if collapsed == s { break }  // bytes Foundation does not see as two spaces (a combining mark after one)
            s = collapsed
        }
        for (a, b) in [(" ,", ","), (" .", "."), (" !", "!"), (" ?", "?"), (" ;", ";"), (" :", ":"), (",,", ","), (",.", "."), (", .", ".")]
        where ByteSearch.contains(s, a) {
            s = s.replacingOccurrences(of: a, with: b)
        }
        s = s.trimmingWhitespace()
        while let f = s.first, f == "," || f == ";" { s = String(s.dropFirst()).trimmingWhitespace() }
        if wasCapitalised { s = capitaliseFirstWord(s) }
        return s
    }

    /// Upper-cases the first letter when the first word is an ordinary lower-case word
    /// ("iPhone" and "eBay" stay as they are).
    static func capitaliseFirstWord(_ s: String) -> String {
        let word = s.prefix(while: { $0.isLetter })
        guard let f = word.first, f.isLowercase, word.allSatisfy({ $0.isLowercase }) else { return s }
        return f.uppercased() + s.dropFirst()
    }

    static func lowercaseFirstWord(_ s: String) -> String {
        guard let f = s.first, f.isUppercase else { return s }
        return f.lowercased() + s.dropFirst()
    }

    static func firstWord(_ s: String) -> String {
        String(s.drop(while: { !$0.isLetter && !$0.isNumber }).prefix(while: { $0.isLetter || $0.isNumber }))
    }

    static func wordCount(_ s: String) -> Int {
        s.split(whereSeparator: { $0.isWhitespace }).count
    }

    /// Letters, digits or ideographs: something a person would read.
    static func hasContent(_ s: String) -> Bool {
        s.contains { $0.isLetter || $0.isNumber }
    }

    static func isCJK(_ c: Character) -> Bool {
        guard let scalar = c.unicodeScalars.first else { return false }
        if LanguageDetector.isCJK(scalar) { return true }
        switch scalar.value {
        case 0x3000...0x303F, 0xFF00...0xFFEF: return true  // CJK punctuation and full-width forms
        default: return false
        }
    }

    /// Emoji pictographs (not digits, "#" or "*", which Unicode also calls emoji).
    static func isEmoji(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x1F000...0x1FAFF, 0x2600...0x27BF, 0x1F1E6...0x1F1FF: return true
        case 0xFE0F, 0x200D, 0x20E3: return true  // variation selector, joiner, keycap
        default: return scalar.properties.isEmojiPresentation
        }
    }
}

/// Deterministic "sometimes": a stable hash (FNV-1a with a final mix) of the session, the
/// question and the segment, so the same inputs always give the same output and the choices
/// still vary between sessions, questions and sentences.
struct Dice {
    let seed: String

    init(context: ToneContext, index: Int, category: ToneCategory) {
        seed = "\(context.sessionID)\u{1F}\(context.userMessage)\u{1F}\(index)\u{1F}\(category.rawValue)"
    }

    static func hash(_ text: String) -> UInt64 {
        var h: UInt64 = 0xCBF2_9CE4_8422_2325
        for byte in text.utf8 {
            h ^= UInt64(byte)
            h = h &* 0x0000_0100_0000_01B3
        }
        // SplitMix64 finaliser: FNV's low bits alone are poorly mixed for short keys.
        h = (h ^ (h >> 30)) &* 0xBF58_476D_1CE4_E5B9
        h = (h ^ (h >> 27)) &* 0x94D0_49BB_1331_11EB
        return h ^ (h >> 31)
    }

    func roll(_ salt: String, _ ordinal: Int = 0) -> UInt64 {
        Self.hash("\(seed)\u{1F}\(ordinal)\u{1F}\(salt)")
    }

    /// True about once in `n` rolls.
    func oneIn(_ n: Int, _ salt: String, _ ordinal: Int = 0) -> Bool {
        roll(salt, ordinal) % UInt64(max(n, 1)) == 0
    }

    func pick<T>(_ options: [T], _ salt: String, _ ordinal: Int = 0) -> T {
        options[Int(roll(salt, ordinal) % UInt64(options.count))]
    }
}
