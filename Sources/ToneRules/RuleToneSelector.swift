import Foundation
import TonehostText

/// Picks a tone category from a visitor description with a bilingual keyword lexicon.
///
/// * English cues match whole words ("scold", "bold" and "goldsmith" are not "old"; "old man",
///   "older woman" and "elderly" are), including multi-word cues ("walking stick", "grey hair",
///   "business suit"); a possessive "'s" is ignored ("grandson's" is "grandson").
/// * Chinese cues match as substrings (老爺爺, 拐杖, 小朋友, 西裝 …); emoji count too
///   (👴👵 elder, 👶🧒 child, 👔💼 professional).
/// * Ages: "75-year-old", "aged 70", "in his 80s", "70歲", "七十多歲" — 60 and over is elder,
///   12 and under is child (teenagers count as children by the word "teenager").
/// * A backpack (🎒), a hoodie or sneakers say nothing: such descriptions stay casual.
///
/// **Precedence** when several categories match: elder > child > professional > casual. The
/// person needing the most care wins: "a grandfather holding his grandson's hand" is elder,
/// "a businessman with his young son" is child. No cue, or an empty description: casual.
public enum RuleToneSelector {
    /// Maps a visitor description to a tone category name. `available` = categories with a loaded plugin; a result
    /// not in it falls back to "casual_friendly". Empty description → casual_friendly.
    public static func select(_ description: String, available: [String]) -> String {
        let category = explain(description).category.rawValue
        return available.contains(category) ? category : ToneCategory.casual.rawValue
    }

    /// Same, with the matched cue for logs, e.g. ("elder_friendly", "walking stick").
    public static func explain(_ description: String) -> (category: ToneCategory, cue: String?) {
        let text = description.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !text.isEmpty else { return (.casual, nil) }
        let words = tokens(text)
        let ideographs = hasIdeographs(text)
        // Ages need digits, 歲 or a decade word; most descriptions have none.
        let stated = text.contains(where: { $0.isNumber || $0 == "歲" }) || text.lowercased().contains("ties") ? age(in: text) : nil
        for rule in rules {
            if let cue = rule.match(text: text, words: words, ideographs: ideographs, age: stated) { return (rule.category, cue) }
        }
        return (.casual, nil)
    }

    // MARK: Lexicon

    struct Rule {
        let category: ToneCategory
        /// English cues by their first word, for one pass over the description's words.
        let english: [String: [[String]]]
        let chinese: [String]
        let emoji: Set<Unicode.Scalar>
        let age: (Int) -> Bool

        init(category: ToneCategory, english: [[String]], chinese: [String], emoji: Set<Unicode.Scalar>, age: @escaping (Int) -> Bool) {
            self.category = category
            self.english = Dictionary(grouping: english, by: { $0[0] })
            self.chinese = chinese
            self.emoji = emoji
            self.age = age
        }

        /// The first cue of this category in the description, if any.
        func match(text: String, words: [String], ideographs: Bool, age stated: (years: Int, cue: String)?) -> String? {
            for (i, word) in words.enumerated() {
                guard let cues = english[word] else { continue }
                // Longest cue first: "walking stick" rather than a shorter one at the same word.
                for cue in cues.sorted(by: { $0.count > $1.count }) where RuleToneSelector.matches(cue, at: i, in: words) {
                    return cue.joined(separator: " ")
                }
            }
            var found: (position: String.Index, cue: String)?
            for cue in chinese where ideographs {
                if let r = RuleToneSelector.findChinese(cue, in: text), found == nil || r.lowerBound < found!.position {
                    found = (r.lowerBound, cue)
                }
            }
            if let found { return found.cue }
            if let e = text.unicodeScalars.first(where: { emoji.contains($0) }) { return String(e) }
            if let stated, age(stated.years) { return stated.cue }
            return nil
        }
    }

    static func hasIdeographs(_ text: String) -> Bool {
        text.unicodeScalars.contains { $0.value >= 0x3400 && $0.value <= 0x9FFF }
    }

    static func words(_ list: [String]) -> [[String]] { list.map { $0.split(separator: " ").map(String.init) } }

    /// In precedence order.
    static let rules: [Rule] = [
        Rule(category: .elder,
             english: words([
                "elderly", "elder", "elders", "old man", "old men", "old woman", "old women", "old lady", "old ladies",
                "old gentleman", "old person", "old people", "old couple", "older man", "older men", "older woman",
                "older women", "older lady", "older gentleman", "older person", "older people", "older adult",
                "older adults", "older couple", "senior citizen", "senior citizens", "seniors", "senior man", "senior woman",
                "senior lady", "senior couple", "grandfather", "grandmother", "grandpa", "grandma", "granny", "grandparent",
                "grandparents", "grey hair", "gray hair", "white hair", "silver hair", "grey-haired", "gray-haired",
                "white-haired", "silver-haired", "greying", "graying", "walking stick", "walking sticks", "cane",
                "walking cane", "walking frame", "zimmer frame", "rollator", "wheelchair", "mobility scooter",
                "hearing aid", "hearing aids", "retiree", "retirees", "retired", "pensioner", "pensioners",
                "septuagenarian", "octogenarian", "nonagenarian", "wrinkled", "stooped", "hunched", "frail",
                "grey beard", "gray beard", "white beard", "grey-bearded", "gray-bearded", "white-bearded",
             ]),
             chinese: ["老爺爺", "老奶奶", "老先生", "老太太", "老婆婆", "老伯", "老人", "長者", "長輩", "銀髮", "白髮", "拐杖", "柺杖",
                       "輪椅", "阿公", "阿嬤", "阿媽", "爺爺", "奶奶", "年長", "高齡", "退休", "助行器", "老夫婦", "老花眼鏡", "駝背", "銀白",
                       "阿伯", "歐巴桑", "歐吉桑", "阿婆", "老翁", "老婦", "耆老"],
             emoji: ["👴", "👵", "🧓", "🦯", "🦽", "🦼", "♿"],
             age: { $0 >= 60 }),
        Rule(category: .child,
             english: words([
                "child", "children", "kid", "kids", "boy", "boys", "girl", "girls", "toddler", "toddlers", "baby",
                "babies", "infant", "infants", "schoolboy", "schoolgirl", "schoolboys", "schoolgirls", "schoolchild",
                "schoolchildren", "schoolkid", "schoolkids", "student", "students", "pupil", "pupils", "school uniform",
                "schoolbag", "school bag", "kindergarten", "kindergartner", "preschooler", "preschoolers", "youngster",
                "youngsters", "son", "daughter", "grandson", "granddaughter", "grandchild", "grandchildren", "stroller",
                "pram", "teddy bear", "elementary school", "primary school", "middle school", "preteen", "little one",
                "teen", "teens", "teenager", "teenagers", "teenage", "adolescent", "adolescents",
             ]),
             chinese: ["小朋友", "小孩", "兒童", "學生", "小學生", "國中生", "孩子", "小男孩", "小女孩", "男孩", "女孩", "幼兒", "嬰兒",
                       "寶寶", "學童", "校服", "書包", "幼稚園", "幼兒園", "幼童", "小學", "國小", "小弟弟", "小妹妹", "孩童", "小寶貝"],
             emoji: ["👶", "🧒", "👦", "👧", "🍼"],
             age: { $0 <= 12 }),
        Rule(category: .professional,
             english: words([
                "suit", "suits", "business suit", "blazer", "tie", "necktie", "briefcase", "business", "businessman",
                "businessmen", "businesswoman", "businesswomen", "businessperson", "business attire", "office",
                "office worker", "office workers", "formal", "formally", "formal wear", "formal attire", "executive",
                "executives", "professional", "professionals", "corporate", "white-collar", "well-dressed", "dress shirt",
                "smartly dressed", "name badge", "id badge", "pinstripe", "tailored", "lab coat", "professional attire",
                // Professions in work attire.
                "doctor", "doctors", "physician", "surgeon", "surgeons", "nurse", "nurses", "scrubs", "white coat",
                "pilot", "pilots", "airline pilot", "flight attendant", "chef", "chefs", "chef's whites", "lawyer", "lawyers",
                "attorney", "judge", "engineer", "engineers", "hard hat", "safety vest", "police officer", "firefighter",
                "uniformed officer", "stethoscope", "dentist", "dentists", "pharmacist", "pharmacists", "paramedic", "paramedics",
                "flight attendants", "cabin crew", "flight crew", "architect", "architects", "veterinarian", "vet's coat",
                "lab technician", "accountant", "surgical gown", "medical scrubs", "policeman", "policewoman", "security guard",
             ]),
             chinese: ["西裝", "商務", "正式", "正裝", "公事包", "領帶", "套裝", "上班族", "主管", "經理", "白領", "職員", "商業人士",
                       "醫生", "醫師", "護士", "護理師", "白袍", "機長", "機師", "飛行員", "空服員", "廚師", "主廚", "律師", "法官",
                       "工程師", "安全帽", "警察", "消防員", "聽診器", "藥師", "醫護", "護理人員", "牙醫", "建築師", "會計師", "空姐", "機組員",
                       "獸醫", "消防隊員", "警員", "技師"],
             emoji: ["👔", "💼", "🕴"],
             age: { _ in false }),
    ]

    // MARK: Matching

    /// Lower-cased words: letters, digits, inner hyphens and apostrophes; a possessive "'s" dropped.
    static func tokens(_ text: String) -> [String] {
        var out: [String] = []
        var word = ""
        func flush() {
            var w = word.lowercased().replacingOccurrences(of: "’", with: "'")
            word = ""
            while let l = w.last, l == "-" || l == "'" { w.removeLast() }
            while let f = w.first, f == "-" || f == "'" { w.removeFirst() }
            if w.hasSuffix("'s") { w.removeLast(2) }
            if !w.isEmpty { out.append(w) }
        }
        for ch in text {
            if ch.isLetter && !ch.unicodeScalars.contains(where: { $0.value >= 0x2E80 }) || ch.isNumber || ch == "-" || ch == "'" || ch == "’" {
                word.append(ch)
            } else {
                flush()
            }
        }
        flush()
        return out
    }

    /// Words that turn a cue into something else: "candy cane", "white hair clip", "tie-dye".
    static let spoilers: [String: (before: Set<String>, after: Set<String>)] = [
        "cane": (["candy", "sugar"], []),
        "hair": ([], ["clip", "clips", "band", "bands", "tie", "ties", "bow", "bows", "pin", "pins", "dye", "accessory", "accessories"]),
        "tie": (["bow-tie"], ["dye"]),
        "suit": (["wet", "space", "swim", "bathing", "diving"], []),
        "business": ([], ["card"]),
    ]

    /// Whether the word sequence `cue` stands at `i` in `words`, not spoilt by its neighbours.
    static func matches(_ cue: [String], at i: Int, in words: [String]) -> Bool {
        guard i + cue.count <= words.count else { return false }
        for k in 1..<max(cue.count, 1) where words[i + k] != cue[k] { return false }
        if let first = spoilers[cue[0]], i > 0, first.before.contains(words[i - 1]) { return false }
        if let last = spoilers[cue[cue.count - 1]], i + cue.count < words.count, last.after.contains(words[i + cue.count]) { return false }
        return true
    }

    static func findChinese(_ cue: String, in text: String) -> Range<String.Index>? {
        // Most cues are absent: a byte search says so without Foundation's Unicode search.
        guard ByteSearch.contains(text, cue) else { return nil }
        var searchStart = text.startIndex
        while let r = text.range(of: cue, range: searchStart..<text.endIndex) {
            // 非正式 is "informal".
            if cue == "正式", r.lowerBound > text.startIndex, text[text.index(before: r.lowerBound)] == "非" {
                searchStart = r.upperBound
                continue
            }
            return r
        }
        return nil
    }

    static let agePatterns: [NSRegularExpression] = [
        #"\b(\d{1,3})[- ]?(?:years?|yrs?)[- ]old\b"#,
        #"\baged\s+(\d{1,3})\b"#,
        #"\bin\s+(?:his|her|their)\s+(\d)0s\b"#,
        #"(\d{1,3})\s*歲"#,
    ].map { try! NSRegularExpression(pattern: $0, options: [.caseInsensitive]) }
    static let chineseTens: [Character: Int] = ["一": 1, "二": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9]
    static let englishDecades = ["sixties": 60, "seventies": 70, "eighties": 80, "nineties": 90, "teens": 13, "twenties": 20,
                                 "thirties": 30, "forties": 40, "fifties": 50]

    /// An age stated in the description, with the words that stated it.
    static func age(in text: String) -> (years: Int, cue: String)? {
        let ns = text as NSString
        for (k, pattern) in agePatterns.enumerated() {
            guard let m = pattern.firstMatch(in: text, range: NSRange(location: 0, length: ns.length)),
                  let n = Int(ns.substring(with: m.range(at: 1))) else { continue }
            return (k == 2 ? n * 10 : n, ns.substring(with: m.range))
        }
        let lower = text.lowercased()
        for (word, years) in englishDecades {
            for who in ["his", "her", "their"] where lower.contains("in \(who) \(word)") { return (years, "in \(who) \(word)") }
        }
        // 七十多歲, 八十歲
        let chars = Array(text)
        for (i, c) in chars.enumerated() where c == "十" && i > 0 {
            guard let tens = chineseTens[chars[i - 1]] else { continue }
            let rest = chars[(i + 1)...].prefix(3)
            if let sui = rest.firstIndex(of: "歲") {
                return (tens * 10, String(chars[(i - 1)...sui]))
            }
        }
        return nil
    }
}
