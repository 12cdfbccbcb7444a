/// The matches of a word list's expression — `(?<![\w’'-])(?:p1|p2|…)(?![\w’'-])`, case-insensitive,
/// words of a phrase joined by `\s+` — found on Unicode scalars without the regular expression
/// (ICU's case-insensitive alternation was most of a rule tone's cost). Same semantics: at each
/// position the phrases are tried in the expression's order and the first that fits wins; the
/// search goes on after the match. Only for phrases of ASCII characters.
struct PhraseMatcher: Sendable {
    /// Each phrase as its words, ASCII lower-cased, in the expression's order.
    private let phrases: [[[UInt8]]]
    /// Indices into `phrases` by the phrase's first byte (lower-cased ASCII), order kept.
    private let byFirstByte: [[Int]]

    /// nil when a phrase has a non-ASCII character (the caller keeps the expression).
    init?(phrases list: [String]) {
        var words: [[[UInt8]]] = []
        var index = [[Int]](repeating: [], count: 128)
        for phrase in list {
            let parts = phrase.split(separator: " ").map { Array($0.utf8).map(Self.lowered) }
            guard let first = parts.first?.first, parts.allSatisfy({ $0.allSatisfy { $0 < 0x80 } }) else { return nil }
            index[Int(first)].append(words.count)
            words.append(parts)
        }
        phrases = words
        byFirstByte = index
    }

    /// The matched ranges (indices into `scalars`), in order.
    func matches(in scalars: [Unicode.Scalar]) -> [Range<Int>] {
        var found: [Range<Int>] = []
        var p = 0
        while p < scalars.count {
            if scalars[p].value < 0x80, p == 0 || !Self.isBoundaryWord(scalars[p - 1]), let end = firstMatch(at: p, in: scalars) {
                found.append(p..<end)
                p = end
            } else {
                p += 1
            }
        }
        return found
    }

    private func firstMatch(at p: Int, in scalars: [Unicode.Scalar]) -> Int? {
        for k in byFirstByte[Int(Self.lowered(UInt8(scalars[p].value)))] {
            if let end = match(phrases[k], at: p, in: scalars) { return end }
        }
        return nil
    }

    /// Where `words` ends when it stands at `start` followed by a boundary, else nil.
    private func match(_ words: [[UInt8]], at start: Int, in s: [Unicode.Scalar]) -> Int? {
        var i = start
        for (n, word) in words.enumerated() {
            if n > 0 {  // \s+
                let before = i
                while i < s.count, Self.isRegexSpace(s[i]) { i += 1 }
                if i == before { return nil }
            }
            guard s.count - i >= word.count else { return nil }
            for b in word {
                let v = s[i].value
                guard v < 0x80, Self.lowered(UInt8(v)) == b else { return nil }
                i += 1
            }
        }
        return i == s.count || !Self.isBoundaryWord(s[i]) ? i : nil
    }

    @inline(__always) private static func lowered(_ b: UInt8) -> UInt8 { b >= 0x41 && b <= 0x5A ? b | 0x20 : b }

    /// `[\w’'-]`, with ICU's `\w`: alphabetic, marks, decimal digits, connector punctuation, ZWNJ, ZWJ.
    static func isBoundaryWord(_ c: Unicode.Scalar) -> Bool {
        let v = c.value
        if v < 0x80 {
            return (v >= 0x30 && v <= 0x39) || (v >= 0x41 && v <= 0x5A) || (v >= 0x61 && v <= 0x7A) || v == 0x5F || v == 0x27 || v == 0x2D
        }
        if v == 0x2019 || v == 0x200C || v == 0x200D { return true }
        let properties = c.properties
        if properties.isAlphabetic { return true }
        switch properties.generalCategory {
        case .nonspacingMark, .spacingMark, .enclosingMark, .decimalNumber, .connectorPunctuation: return true
        default: return false
        }
    }

    /// ICU's `\s`: `[\t\n\f\r\p{Z}]`.
    static func isRegexSpace(_ c: Unicode.Scalar) -> Bool {
        switch c.value {
        case 0x09, 0x0A, 0x0C, 0x0D: return true
        case 0..<0x80: return c.value == 0x20
        default:
            switch c.properties.generalCategory {
            case .spaceSeparator, .lineSeparator, .paragraphSeparator: return true
            default: return false
            }
        }
    }
}
