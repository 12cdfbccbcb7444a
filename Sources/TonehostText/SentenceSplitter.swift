/// Splits text into sentences, incrementally: feed chunks as an LLM streams them and take each
/// sentence as soon as it is complete. Handles Chinese punctuation (。！？；) and English
/// terminators followed by whitespace, keeps decimals ("3.5"), common abbreviations ("e.g.",
/// "Dr.") and closing quotes/brackets with their sentence. Newlines end a sentence too.
public struct SentenceSplitter: Sendable {
    private var buffer: [Character] = []
    /// Each buffered Character's scalar when it is a single scalar, else nil: the terminator
    /// tests compare scalars (comparing non-ASCII Characters goes through String comparison).
    private var heads: [Unicode.Scalar?] = []
    /// `buffer[..<scanned]` holds no boundary: a push resumes there instead of rescanning.
    private var scanned = 0

    public init() {}

    /// Adds a chunk; returns the sentences it completed, each with its terminator and trimmed.
    public mutating func push(_ chunk: String) -> [String] {
        for c in chunk {
            buffer.append(c)
            let first = c.unicodeScalars.first!
            heads.append(c.utf8.count == UTF8.width(first) ? first : nil)
        }
        var sentences: [String] = []
        var start = 0
        var i = scanned
        while i < buffer.count {
            if let end = boundary(at: i) {
                // nil from boundary means "cannot tell yet": stop scanning.
                if end < 0 { break }
                let sentence = String(buffer[start..<end]).trimmingWhitespace()
                if !sentence.isEmpty { sentences.append(sentence) }
                start = end
                i = end
                continue
            }
            i += 1
        }
        if start > 0 {
            buffer.removeFirst(start)
            heads.removeFirst(start)
        }
        scanned = i - start
        return sentences
    }

    /// Ends the stream: returns what is left (possibly "") trimmed.
    public mutating func finish() -> String {
        let rest = String(buffer).trimmingWhitespace()
        buffer.removeAll()
        heads.removeAll()
        scanned = 0
        return rest
    }

    /// Splits a whole text at once.
    public static func split(_ text: String) -> [String] {
        if let sentences = splitPlain(text) { return sentences }
        var splitter = SentenceSplitter()
        var out = splitter.push(text)
        let rest = splitter.finish()
        if !rest.isEmpty { out.append(rest) }
        return out
    }

    /// `split` for plain text (`PlainText`: a Character is a scalar), on scalars — the same
    /// decisions as `push` + `finish` without grapheme breaking or Character hashing; nil for
    /// other text.
    private static func splitPlain(_ text: String) -> [String]? {
        // The scalars, and where each starts in the UTF-8 (the sentences are cut from the bytes).
        var s: [Unicode.Scalar] = []
        var offsets: [Int] = []
        var utf8 = 0
        for scalar in text.unicodeScalars {
            guard PlainText.isPlain(scalar) else { return nil }
            s.append(scalar)
            offsets.append(utf8)
            utf8 += UTF8.width(scalar)
        }
        offsets.append(utf8)
        func isAbbreviation(endingAt dot: Int) -> Bool {
            var k = dot - 1
            while k >= 0, s[k].properties.isAlphabetic || s[k] == "." { k -= 1 }
            let word = s[(k + 1)..<dot]
            if word.count == 1, Character(word.first!).isUppercase { return true }  // initials: "J. Smith"
            return abbreviations.contains(String(String.UnicodeScalarView(word)).lowercased())
        }
        /// As `boundary(at:)`.
        func boundary(at i: Int) -> Int? {
            let c = s[i]
            if c == "\n" { return i + 1 }
            let isFullWidth = c == "。" || c == "！" || c == "？" || c == "；"
            guard isFullWidth || c == "!" || c == "?" || c == "." || c == "…" else { return nil }
            var j = i + 1
            while j < s.count, Self.isTerminatorRun(s[j]) { j += 1 }
            if isFullWidth { return j }
            if j == s.count { return -1 }
            let next = s[j]
            if next.properties.isWhitespace {
                if c == "." && isAbbreviation(endingAt: i) { return nil }
                return j
            }
            if LanguageDetector.isCJK(next) { return j }
            return nil
        }
        func trimmed(_ a: Int, _ b: Int) -> String {
            var a = a, b = b
            while a < b, s[a].properties.isWhitespace { a += 1 }
            while b > a, s[b - 1].properties.isWhitespace { b -= 1 }
            let from = text.utf8.index(text.utf8.startIndex, offsetBy: offsets[a])
            let to = text.utf8.index(from, offsetBy: offsets[b] - offsets[a])
            return String(text.unicodeScalars[from..<to])
        }
        var out: [String] = []
        var start = 0
        var i = 0
        while i < s.count {
            if let end = boundary(at: i) {
                if end < 0 { break }
                let sentence = trimmed(start, end)
                if !sentence.isEmpty { out.append(sentence) }
                start = end
                i = end
                continue
            }
            i += 1
        }
        let rest = trimmed(start, s.count)
        if !rest.isEmpty { out.append(rest) }
        return out
    }

    private static let abbreviations: Set<String> = [
        "e.g", "i.e", "etc", "dr", "mr", "mrs", "ms", "prof", "st", "vs", "no", "inc", "ltd", "co", "jr", "sr", "u.s", "approx",
        // Times, addresses and dates: "9 a.m. to 5 p.m.", "Sec. 4, Chung Hsing Rd.", "Oct. 1973".
        "a.m", "p.m", "sec", "rd", "ave", "blvd", "dept", "fig", "mt", "jan", "feb", "mar", "apr", "jun", "jul", "aug",
        "sep", "sept", "oct", "nov", "dec",
    ]

    /// If position i ends a sentence, returns the index just past it (after closers);
    /// -1 when more input is needed to decide; nil when it is not a boundary.
    private func boundary(at i: Int) -> Int? {
        guard let c = heads[i] else { return nil }  // every terminator is a single scalar
        if c == "\n" { return i + 1 }
        let isFullWidth = c == "。" || c == "！" || c == "？" || c == "；"
        guard isFullWidth || c == "!" || c == "?" || c == "." || c == "…" else { return nil }
        var j = i + 1
        // Swallow repeated terminators ("?!", "...") and closing quotes/brackets.
        while j < buffer.count, let h = heads[j], Self.isTerminatorRun(h) { j += 1 }
        // The run may go on in the next chunk ("全形！" then "？", "好。" then "」"): wait for
        // the next character, as after an ASCII terminator.
        if j == buffer.count { return -1 }
        if isFullWidth { return j }
        let next = buffer[j]
        if next.isWhitespace {
            if c == "." && isAbbreviation(endingAt: i) { return nil }
            return j
        }
        if let scalar = next.unicodeScalars.first, LanguageDetector.isCJK(scalar) { return j }
        return nil
    }

    /// What a terminator swallows after it: more terminators and closing quotes/brackets.
    private static func isTerminatorRun(_ c: Unicode.Scalar) -> Bool {
        switch c {
        case "。", "！", "？", "；", "!", "?", ".", "…", "」", "』", "）", ")", "\"", "'", "”", "’", "]", "】": return true
        default: return false
        }
    }

    private func isAbbreviation(endingAt dot: Int) -> Bool {
        var k = dot - 1
        var word: [Character] = []
        while k >= 0, buffer[k].isLetter || buffer[k] == "." {
            word.insert(buffer[k], at: 0)
            k -= 1
        }
        if word.count == 1, word[0].isUppercase { return true }  // initials: "J. Smith"
        return Self.abbreviations.contains(String(word).lowercased())
    }
}

extension String {
    public func trimmingWhitespace() -> String {
        var s = Substring(self)
        while let f = s.first, f.isWhitespace { s.removeFirst() }
        while let l = s.last, l.isWhitespace { s.removeLast() }
        return String(s)
    }
}
