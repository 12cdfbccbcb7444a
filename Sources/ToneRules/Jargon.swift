import Foundation
import TonehostText

/// Abbreviations the elder tone explains the first time they appear in an answer:
/// "AI" → "AI (artificial intelligence)", in Chinese "AI（人工智慧）". The token itself stays.
enum Jargon {
    struct Term {
        let token: String
        let english: String
        let chinese: String
    }

    static let terms: [String: Term] = Dictionary(uniqueKeysWithValues: [
        ("AI", "artificial intelligence", "人工智慧"),
        ("AIoT", "artificial intelligence of things", "人工智慧物聯網"),
        ("IoT", "Internet of Things", "物聯網"),
        ("R&D", "research and development", "研究與開發"),
        ("IC", "integrated circuit", "積體電路"),
        ("ICT", "information and communications technology", "資訊與通訊科技"),
        ("LED", "light-emitting diode", "發光二極體"),
        ("OLED", "organic light-emitting diode", "有機發光二極體"),
        ("5G", "fifth-generation mobile network", "第五代行動通訊"),
        ("6G", "sixth-generation mobile network", "第六代行動通訊"),
        ("AR", "augmented reality", "擴增實境"),
        ("VR", "virtual reality", "虛擬實境"),
        ("EV", "electric vehicle", "電動車"),
        ("GPS", "Global Positioning System", "全球定位系統"),
        ("ESG", "environmental, social and governance", "環境、社會與治理"),
        ("PCB", "printed circuit board", "印刷電路板"),
        ("EUV", "extreme ultraviolet lithography", "極紫外光微影"),
        ("UAV", "unmanned aerial vehicle", "無人機"),
        ("3D", "three-dimensional", "立體"),
        ("CEO", "chief executive officer", "執行長"),
        ("GDP", "gross domestic product", "國內生產毛額"),
        ("MRT", "Mass Rapid Transit", "捷運"),
        ("ITRI", "Industrial Technology Research Institute", "工業技術研究院"),
        ("TSMC", "Taiwan Semiconductor Manufacturing Company", "台灣積體電路製造公司"),
        ("UMC", "United Microelectronics Corporation", "聯華電子"),
    ].map { ($0.0, Term(token: $0.0, english: $0.1, chinese: $0.2)) })

    /// Any of the tokens, whole, case-sensitive, not inside a word or a hyphenated compound,
    /// and not already followed by an explanation in brackets.
    static let pattern: NSRegularExpression = {
        let tokens = terms.keys.sorted { $0.count > $1.count }.map { NSRegularExpression.escapedPattern(for: $0) }
        let p = "(?<![A-Za-z0-9&-])(?:" + tokens.joined(separator: "|") + ")(?![A-Za-z0-9&-])(?!\\s*[(（])"
        return try! NSRegularExpression(pattern: p)
    }()

    /// Claims every term whose abbreviation is already explained in `sentence`: spelled out
    /// ("ITRI, the Industrial Technology Research Institute, …", "人工智慧"), or in brackets after
    /// its spelled-out form ("Taiwan Semiconductor Manufacturing Company (TSMC)").
    static func claimSpelledOut(_ sentence: String, claim: (String) -> Bool) {
        let lower = ByteSearch.asciiLowercased(sentence)
        for term in spelledOut where ByteSearch.contains(lower, term.english) || ByteSearch.contains(sentence, term.chinese)
            || ByteSearch.contains(sentence, term.bracketed) || ByteSearch.contains(sentence, term.fullWidthBracketed) {
            _ = claim(term.token)
        }
    }

    /// The forms that count as an explanation, built once.
    static let spelledOut: [(token: String, english: String, chinese: String, bracketed: String, fullWidthBracketed: String)] =
        terms.values.sorted { $0.token < $1.token }.map { ($0.token, $0.english.lowercased(), $0.chinese, "(\($0.token))", "（\($0.token)）") }

    /// Explains each abbreviation of `sentence` once: `claim` says whether this is the first time
    /// the term is met in the answer. Not inside a quoted name (「亞灣 5G AIoT 創新園區辦公室」 is
    /// a name, kept as it is), not inside a noun phrase, and not before a possessive ("ITRI's" stays: "ITRI (…)'s" reads
    /// badly; a later mention is explained instead).
    static func expand(_ sentence: String, chinese: Bool, claim: (String) -> Bool) -> String {
        let ns = sentence as NSString
        var inserts: [(at: Int, text: String)] = []
        var seen = Set<String>()
        let quoted = quotedRanges(ns)
        for m in pattern.matches(in: sentence, range: NSRange(location: 0, length: ns.length)) {
            let token = ns.substring(with: m.range)
            guard let term = terms[token], !seen.contains(token) else { continue }
            // Already an explanation itself: "工研院（ITRI）".
            if m.range.location > 0, "(（".contains(ns.substring(with: NSRange(location: m.range.location - 1, length: 1))) { continue }
            if quoted.contains(where: { NSLocationInRange(m.range.location, $0) }) { continue }
            let end = m.range.location + m.range.length
            if end < ns.length, "'’".contains(ns.substring(with: NSRange(location: end, length: 1))) { continue }
            // Inside a noun phrase ("many ITRI research projects", "an AI system") an explanation
            // splits the phrase: wait for a mention that stands on its own.
            if !chinese, determiners.contains(wordBefore(m.range.location, in: ns)) { continue }
            seen.insert(token)
            let explanation = chinese ? term.chinese : term.english
            if ByteSearch.contains(ByteSearch.asciiLowercased(sentence), ByteSearch.asciiLowercased(explanation)) { _ = claim(token); continue }
            guard claim(token) else { continue }
            inserts.append((end, chinese ? "（\(explanation)）" : " (\(explanation))"))
        }
        guard !inserts.isEmpty else { return sentence }
        let out = NSMutableString(string: sentence)
        for insert in inserts.reversed() { out.insert(insert.text, at: insert.at) }
        return out as String
    }

    static let determiners: Set<String> = ["a", "an", "the", "many", "most", "some", "several", "all", "each", "every", "these",
                                           "those", "this", "that", "its", "their", "our", "other", "new", "two", "three"]

    /// The lower-cased word right before UTF-16 offset `location` ("" at the start).
    static func wordBefore(_ location: Int, in text: NSString) -> String {
        var i = location - 1
        while i >= 0, text.character(at: i) == 0x20 { i -= 1 }
        let end = i + 1
        while i >= 0, let u = Unicode.Scalar(text.character(at: i)), CharacterSet.letters.contains(u) { i -= 1 }
        return text.substring(with: NSRange(location: i + 1, length: end - i - 1)).lowercased()
    }

    /// The spans of 「…」, 『…』 and "…" in `text` (UTF-16 ranges).
    static func quotedRanges(_ text: NSString) -> [NSRange] {
        var out: [NSRange] = []
        var open: [Int] = []
        var straight: Int?
        for i in 0..<text.length {
            switch text.character(at: i) {
            case 0x300C, 0x300E, 0x201C: open.append(i)  // 「 『 “
            case 0x300D, 0x300F, 0x201D: if let o = open.popLast() { out.append(NSRange(location: o, length: i - o + 1)) }
            case 0x22:
                if let o = straight { out.append(NSRange(location: o, length: i - o + 1)); straight = nil } else { straight = i }
            default: break
            }
        }
        return out
    }
}
