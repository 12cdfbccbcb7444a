/// Hard Chinese words and the plain words a child knows, for the child tone. Each replacement
/// keeps the fact ("勞力密集產業" → "需要很多人力的產業"); nothing inside 「quoted names」 is
/// touched. Built once: one table keyed by the first character, matched on Unicode scalars.
enum ChineseLexicon {
    static let pairs: [(String, String)] = [
        ("勞力密集產業", "需要很多人力的產業"), ("勞力密集", "需要很多人力"), ("技術密集", "需要很多技術"),
        ("擘畫", "規劃"), ("樞紐", "中心"), ("孕育", "培養出"), ("致力於", "努力"), ("旨在", "是為了"),
        ("締造", "創造"), ("蓬勃發展", "快速成長"), ("顯著", "明顯"), ("榮獲", "得到"), ("獲頒", "得到"),
        ("譽為", "稱為"), ("享譽國際", "在世界上很有名"), ("草創初期", "剛成立的時候"), ("草創維艱", "剛成立很辛苦"), ("奠定", "打下"), ("涵養水源", "保存水分"),
        ("囊括", "拿下"), ("遍及", "分布在"), ("統籌", "負責安排"), ("研擬", "計畫"), 
        ("商轉", "變成產品"), ("沉浸式", "身歷其境的"),
        
        ("聚落", "聚集的地方"), ("倡議", "提議"), ("挹注", "投入"), ("嶄新", "全新"),
    ]

    private static let table: [Unicode.Scalar: [(hard: [Unicode.Scalar], plain: String)]] = {
        var t: [Unicode.Scalar: [(hard: [Unicode.Scalar], plain: String)]] = [:]
        for (hard, plain) in pairs.sorted(by: { $0.0.count > $1.0.count }) {
            let scalars = Array(hard.unicodeScalars)
            t[scalars[0], default: []].append((scalars, plain))
        }
        return t
    }()

    /// The words a child may not know and the words put in their place (for tests telling a
    /// rewritten word from a lost fact).
    static var terms: [String] { pairs.flatMap { [$0.0, $0.1] } }

    /// `text` with each hard word outside 「」『』 replaced by its plain word, longest first.
    static func simplify(_ text: String) -> String {
        let scalars = Array(text.unicodeScalars)
        guard scalars.contains(where: { table[$0] != nil }) else { return text }
        var out = String.UnicodeScalarView()
        var depth = 0
        var i = 0
        outer: while i < scalars.count {
            let s = scalars[i]
            if s == "「" || s == "『" { depth += 1 } else if (s == "」" || s == "』") && depth > 0 { depth -= 1 }
            if depth == 0, let candidates = table[s] {
                for c in candidates where i + c.hard.count <= scalars.count && Array(scalars[i..<(i + c.hard.count)]) == c.hard {
                    out.append(contentsOf: c.plain.unicodeScalars)
                    i += c.hard.count
                    continue outer
                }
            }
            out.append(s)
            i += 1
        }
        return String(out)
    }
}
