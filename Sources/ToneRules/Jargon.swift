import Foundation

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

    /// Explains each abbreviation of `sentence` once: `claim` says whether this is the first time
    /// the term is met in the answer.
    static func expand(_ sentence: String, chinese: Bool, claim: (String) -> Bool) -> String {
        let ns = sentence as NSString
        var inserts: [(at: Int, text: String)] = []
        var seen = Set<String>()
        for m in pattern.matches(in: sentence, range: NSRange(location: 0, length: ns.length)) {
            let token = ns.substring(with: m.range)
            guard let term = terms[token], seen.insert(token).inserted else { continue }
            // Already an explanation itself: "工研院（ITRI）".
            if m.range.location > 0, "(（".contains(ns.substring(with: NSRange(location: m.range.location - 1, length: 1))) { continue }
            let explanation = chinese ? term.chinese : term.english
            if sentence.range(of: explanation, options: .caseInsensitive) != nil { continue }
            guard claim(token) else { continue }
            inserts.append((m.range.location + m.range.length, chinese ? "（\(explanation)）" : " (\(explanation))"))
        }
        guard !inserts.isEmpty else { return sentence }
        let out = NSMutableString(string: sentence)
        for insert in inserts.reversed() { out.insert(insert.text, at: insert.at) }
        return out as String
    }
}
