import Foundation

/// The facts a rewrite must keep: the numbers (years, phone numbers, "6,000", "3F") and names
/// (capitalised words and acronyms that are not common words a tone may change, 「quoted names」)
/// of the original. Used to check a model's rewrite before it is sent (tone-<tone>-llm).
public enum ToneFacts {
    private static let token = try! NSRegularExpression(pattern: #"\+?\d+(?:[.,:/-]\d+)*|[A-Za-z][A-Za-z0-9&]*"#)
    private static let quoted = try! NSRegularExpression(pattern: "「([^「」]{1,40})」")

    /// The numbers and names of `text`, in order.
    public static func of(_ text: String) -> [String] {
        let ns = text as NSString
        var facts: [String] = []
        for m in token.matches(in: text, range: NSRange(location: 0, length: ns.length)) {
            let t = ns.substring(with: m.range)
            guard let f = t.first else { continue }
            if f.isNumber || f == "+" {
                facts.append(t)
            } else if f.isUppercase, !ToneLexicon.englishWords.contains(t.lowercased()) {
                // A capitalised first word of a sentence ("Backed by …") may be reworded; an
                // acronym there ("ITRI is …") may not.
                if startsSentence(at: m.range.location, in: ns) && t.filter(\.isUppercase).count < 2 { continue }
                facts.append(t)
            }
        }
        for m in quoted.matches(in: text, range: NSRange(location: 0, length: ns.length)) { facts.append(ns.substring(with: m.range(at: 1))) }
        return facts
    }

    private static func startsSentence(at location: Int, in text: NSString) -> Bool {
        var i = location - 1
        while i >= 0, let u = Unicode.Scalar(text.character(at: i)), u.properties.isWhitespace || "\"“(".unicodeScalars.contains(u) { i -= 1 }
        guard i >= 0, let u = Unicode.Scalar(text.character(at: i)) else { return true }
        return ".!?:。！？：".unicodeScalars.contains(u)
    }

    /// The facts of `original` that `rewritten` lacks (counted: "2 labs … 2 floors" needs two "2").
    public static func missing(original: String, rewritten: String) -> [String] {
        var out: [String] = []
        var counts: [String: Int] = [:]
        for f in of(original) { counts[f, default: 0] += 1 }
        for (fact, n) in counts.sorted(by: { $0.key < $1.key }) where occurrences(fact, in: rewritten) < n { out.append(fact) }
        return out
    }

    private static func occurrences(_ needle: String, in s: String) -> Int {
        var n = 0
        var range = s.startIndex..<s.endIndex
        while let r = s.range(of: needle, range: range) { n += 1; range = r.upperBound..<s.endIndex }
        return n
    }
}
