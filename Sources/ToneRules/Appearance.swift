import TonehostText

/// How a greeting can mention the visitor's appearance, derived from the camera description:
/// "a girl wearing a red school uniform" → "in the red school uniform" / "red school uniform";
/// "一位拄著拐杖的老爺爺" → "拄著拐杖" / "拐杖". A description in the other language is carried
/// over through a small glossary of clothes and belongings ("walking stick" ↔ 拐杖).
struct Appearance: Equatable {
    /// Addresses the visitor: "in the red school uniform", "穿著制服".
    var phrase: String
    /// The thing itself, when it is something one can compliment: "red school uniform", "制服".
    var item: String?

    static func from(_ description: String, language: Language) -> Appearance? {
        let d = description.trimmingWhitespace()
        guard !d.isEmpty else { return nil }
        let descriptionIsChinese = d.unicodeScalars.contains(where: LanguageDetector.isIdeograph)
        let found: Appearance?
        switch (descriptionIsChinese, language) {
        case (false, .english): found = english(d) ?? glossary(d, language: .english)
        case (true, .traditionalChinese): found = chinese(d) ?? glossary(d, language: .traditionalChinese)
        case (false, .traditionalChinese), (true, .english):
            // Other language: name a known item in the answer's language, or nothing.
            found = glossary(d, language: language)
        }
        // Only something one would kindly remark on — clothes and belongings, not a wheelchair,
        // a walking stick or grey hair ("很高興見到一頭白髮的您" is not a greeting).
        guard let found, found.item != nil else { return nil }
        return found
    }

    // MARK: English descriptions

    private static let englishCues = ["wearing", "dressed", "with", "holding", "carrying", "using", "pushing", "riding", "in"]
    private static let englishStops: Set<String> = [
        "and", "who", "that", "which", "while", "looking", "standing", "sitting", "smiling", "talking", "waiting",
        "reading", "next", "near", "at", "is", "are", "was", "walking", "holding", "carrying", "wearing", "using",
        "pushing", "with", "by", "from", "to", "as", "stands", "sits", "walks", "looks", "waits", "reads", "holds",
        "carries", "smiles", "seems", "checking", "taking", "eating", "drinking", "playing", "listening", "watching",
    ]

    static func english(_ description: String) -> Appearance? {
        // Words with their punctuation detached, so a comma can end the phrase.
        var words: [String] = []
        for raw in description.split(whereSeparator: { $0.isWhitespace }) {
            var w = String(raw)
            var trailing: [String] = []
            while let l = w.last, ",;.!?:()".contains(l) { trailing.insert(String(l), at: 0); w.removeLast() }
            if !w.isEmpty { words.append(w) }
            words.append(contentsOf: trailing)
        }
        let lower = words.map { $0.lowercased() }
        for (i, w) in lower.enumerated() where englishCues.contains(w) {
            var start = i + 1
            var verb = w
            switch w {
            case "dressed":
                guard start < lower.count, lower[start] == "in" else { continue }
                start += 1
                verb = "in"
            case "wearing":
                verb = "in"
            case "in":
                // "in a red coat" yes; "in his 70s", "in his thirties", "in front of" no: only clothes
                // and the like that the glossary knows.
                let rest = lower[start...].prefix(6).joined(separator: " ")
                guard start < lower.count, ["a", "an", "the", "his", "her", "their"].contains(lower[start]),
                      Glossary.find(inEnglish: rest) != nil else { continue }
            default:
                break
            }
            // "walking" is a stop word except in "walking stick"/"walking frame".
            var end = start
            while end < lower.count, end - start < 6 {
                let t = lower[end]
                if t.count == 1, ",;.!?:()".contains(t) { break }
                if englishStops.contains(t) && end > start {
                    let walkingAid = t == "walking" && end + 1 < lower.count && ["stick", "frame", "cane", "aid"].contains(lower[end + 1])
                    if !walkingAid { break }
                }
                end += 1
            }
            guard end > start else { continue }
            var object = Array(words[start..<end])
            var determiner: String?
            switch object[0].lowercased() {
            case "a", "an", "the": determiner = "the"; object.removeFirst()
            case "his", "her", "their", "its": determiner = "your"; object.removeFirst()
            default: break
            }
            // A noun phrase ending in a known item ("red school uniform"), not a cut fragment
            // ("wheelchair pushed", "visitor badges"): no item, no phrase.
            guard let itemEnd = (1...max(object.count, 1)).reversed().first(where: { k in
                k <= object.count && Glossary.endsWithItem(object[0..<k].joined(separator: " "))
            }), itemEnd <= object.count else { continue }
            object = Array(object[0..<itemEnd])
            let thing = object.joined(separator: " ")
            // "wearing glasses" → "with the glasses", "wearing a coat" → "in the coat".
            if w == "wearing", let entry = Glossary.find(inEnglish: thing) { verb = entry.preposition }
            let phrase = ([verb] + (determiner.map { [$0] } ?? []) + object).joined(separator: " ")
            let compliment = Glossary.find(inEnglish: thing)?.compliment == true && ["in", "with", "carrying", "holding"].contains(verb)
            return Appearance(phrase: phrase, item: compliment ? thing : nil)
        }
        return nil
    }

    // MARK: Chinese descriptions

    private static let chineseCues = [
        "穿著", "身穿", "戴著", "拿著", "手拿", "手持", "背著", "提著", "推著", "拄著", "坐著", "坐在", "抱著", "牽著", "帶著",
        "圍著", "掛著", "打著", "穿", "戴",
    ]
    private static let chineseStops: Set<Character> = ["的", "，", "、", "。", "和", "與", "並", "正", "；", " ", ",", "在"]

    static func chinese(_ description: String) -> Appearance? {
        let chars = Array(description)
        var best: (at: Int, cue: String)?
        for cue in chineseCues {
            guard ByteSearch.contains(description, cue), let r = description.range(of: cue) else { continue }
            let at = description.distance(from: description.startIndex, to: r.lowerBound)
            if best == nil || at < best!.at || (at == best!.at && cue.count > best!.cue.count) { best = (at, cue) }
        }
        guard let (at, cue) = best else { return nil }
        var end = at + cue.count
        while end < chars.count, !chineseStops.contains(chars[end]), end - (at + cue.count) < 10 { end += 1 }
        var object = String(chars[(at + cue.count)..<end])
        // End at the known item ("紅色氣球", "西裝"); a fragment without one is no phrase.
        guard let item = Glossary.lastItem(inChinese: object) else { return nil }
        object = String(object[..<item.upperBound])
        let thing = object
        let compliment = Glossary.find(inChinese: thing)?.compliment == true && !["坐著", "坐在", "推著", "牽著", "抱著"].contains(cue)
        return Appearance(phrase: cue + object, item: compliment ? thing : nil)
    }

    // MARK: Either, through the glossary

    static func glossary(_ description: String, language: Language) -> Appearance? {
        let isChinese = description.unicodeScalars.contains(where: LanguageDetector.isIdeograph)
        guard let entry = isChinese ? Glossary.find(inChinese: description) : Glossary.find(inEnglish: description) else { return nil }
        switch language {
        case .english:
            let phrase = entry.bare ? "\(entry.preposition) \(entry.english[0])" : "\(entry.preposition) the \(entry.english[0])"
            return Appearance(phrase: phrase, item: entry.compliment ? entry.english[0] : nil)
        case .traditionalChinese:
            return Appearance(phrase: entry.verb + entry.chinese[0], item: entry.compliment ? entry.chinese[0] : nil)
        }
    }
}

/// Clothes and belongings in both languages, for carrying an appearance across languages.
enum Glossary {
    struct Entry {
        let english: [String]
        let chinese: [String]
        /// "in the suit", "with the walking stick"
        let preposition: String
        /// 穿著 / 拄著 …
        let verb: String
        /// No article in English: "with grey hair".
        var bare = false
        /// Something one can say "love the …" about.
        var compliment = true
    }

    // Longer and more specific words first: "school bag" before "bag", "sunglasses" before "glasses".
    static let entries: [Entry] = [
        Entry(english: ["school uniform", "uniform"], chinese: ["制服", "校服"], preposition: "in", verb: "穿著"),
        Entry(english: ["backpack", "schoolbag", "school bag"], chinese: ["背包", "書包"], preposition: "with", verb: "背著"),
        Entry(english: ["walking stick", "cane"], chinese: ["拐杖", "柺杖"], preposition: "with", verb: "拄著", compliment: false),
        Entry(english: ["wheelchair"], chinese: ["輪椅"], preposition: "in", verb: "坐著", compliment: false),
        Entry(english: ["business suit", "suit"], chinese: ["西裝", "套裝"], preposition: "in", verb: "穿著"),
        Entry(english: ["briefcase"], chinese: ["公事包"], preposition: "with", verb: "提著"),
        Entry(english: ["necktie", "tie"], chinese: ["領帶"], preposition: "in", verb: "打著"),
        Entry(english: ["sunglasses"], chinese: ["太陽眼鏡", "墨鏡"], preposition: "in", verb: "戴著"),
        Entry(english: ["glasses", "spectacles"], chinese: ["眼鏡"], preposition: "with", verb: "戴著", bare: true),
        Entry(english: ["baseball cap", "cap", "hat"], chinese: ["棒球帽", "帽子"], preposition: "in", verb: "戴著"),
        Entry(english: ["hoodie"], chinese: ["帽T"], preposition: "in", verb: "穿著"),
        Entry(english: ["jacket", "coat"], chinese: ["外套", "夾克"], preposition: "in", verb: "穿著"),
        Entry(english: ["dress"], chinese: ["洋裝", "連身裙"], preposition: "in", verb: "穿著"),
        Entry(english: ["t-shirt", "shirt"], chinese: ["T恤", "襯衫"], preposition: "in", verb: "穿著"),
        Entry(english: ["scarf"], chinese: ["圍巾"], preposition: "in", verb: "圍著"),
        Entry(english: ["umbrella"], chinese: ["雨傘"], preposition: "with", verb: "拿著"),
        Entry(english: ["camera"], chinese: ["相機"], preposition: "with", verb: "拿著"),
        Entry(english: ["balloon"], chinese: ["氣球"], preposition: "with", verb: "拿著"),
        Entry(english: ["teddy bear", "toy"], chinese: ["玩偶", "玩具"], preposition: "with", verb: "拿著"),
        Entry(english: ["book"], chinese: ["書本"], preposition: "with", verb: "拿著"),
        Entry(english: ["stroller", "pram"], chinese: ["嬰兒車"], preposition: "with", verb: "推著", compliment: false),
        Entry(english: ["headphones"], chinese: ["耳機"], preposition: "with", verb: "戴著"),
        Entry(english: ["face mask", "mask"], chinese: ["口罩"], preposition: "in", verb: "戴著", compliment: false),
        Entry(english: ["handbag", "purse", "bag"], chinese: ["手提包", "包包"], preposition: "with", verb: "拿著"),
        Entry(english: ["sneakers", "shoes"], chinese: ["球鞋", "鞋子"], preposition: "in", verb: "穿著", bare: true),
        Entry(english: ["laptop"], chinese: ["筆電", "筆記型電腦"], preposition: "with", verb: "帶著"),
        Entry(english: ["skateboard"], chinese: ["滑板"], preposition: "with", verb: "拿著"),
        Entry(english: ["grey hair", "gray hair", "white hair", "silver hair"], chinese: ["白髮", "銀髮"], preposition: "with",
              verb: "一頭", bare: true, compliment: false),
    ]

    /// Whether `phrase` ends with an item of the glossary ("red school uniform", "glasses").
    static func endsWithItem(_ phrase: String) -> Bool {
        let p = " " + phrase.lowercased()
        return entries.contains { e in e.english.contains { p.hasSuffix(" " + $0) } }
    }

    /// The last place in `text` where a glossary item ends.
    static func lastItem(inChinese text: String) -> Range<String.Index>? {
        var best: Range<String.Index>?
        for e in entries {
            for word in e.chinese where ByteSearch.contains(text, word) {
                if let r = text.range(of: word, options: .backwards), best == nil || r.upperBound > best!.upperBound { best = r }
            }
        }
        return best
    }

    static func find(inEnglish text: String) -> Entry? {
        let words = " " + text.lowercased().map { $0.isLetter || $0 == "-" ? $0 : " " }.reduce(into: "") { $0.append($1) } + " "
        return entries.first { e in e.english.contains { ByteSearch.contains(words, " \($0) ") } }
    }

    static func find(inChinese text: String) -> Entry? {
        entries.first { e in e.chinese.contains { ByteSearch.contains(text, $0) } }
    }
}
