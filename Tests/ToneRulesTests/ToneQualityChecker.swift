import Foundation
import ToneRules
import TonehostText

/// Reads rule-toned answers the way a visitor would and counts the mistakes a person would not
/// make (issue #15). Independent of the rules' own word lists where it can be: it judges the
/// output against the untoned answer, not against what the rules meant to do.
///
/// Defect classes (each counted per occurrence, only where the tone added it — a particle the
/// untoned answer already had is not the tone's):
/// * `particleAfterData` — a Chinese particle (喔呢啊啦…) or an exclamation stuck on a number,
///   code, URL, phone number, e-mail or a closing quote/bracket: 「+886-3-5820045喔！」, 「3F呢」, 「」喔」;
/// * `markerOnNoInformation` — an expression tag, "!", a particle or a cheerful phrase on the
///   no-information reply ("I don't have information about that! (claps)");
/// * `doubledMarker` — more than one expression tag in an answer, or two particles / "!!" in a row;
/// * `expansionTwice` — an abbreviation's spelled-out form more often than once (or than the
///   untoned answer had it), or an explanation wedged before a possessive: "ITRI (…)'s";
/// * `missingSpace` — English sentence punctuation glued to the next sentence: "suit.I do";
/// * `mixedFrame` — a body in the other language than the question's without a word saying so,
///   or the other language's tags around it ("Hey there!…展示…（笑）");
/// * `lostFact` — a number or proper name of the untoned answer missing from the toned one.
enum ToneQuality {
    enum Defect: String, CaseIterable {
        case particleAfterData, markerOnNoInformation, doubledMarker, expansionTwice, missingSpace, mixedFrame, lostFact
    }

    struct Case {
        var question: String
        var answer: String
        var description: String
        /// Names the answer must keep besides the ones found in it (corpus fields: leaders, exhibits).
        var names: [String] = []
    }

    struct Finding {
        var defect: Defect
        var tone: ToneCategory
        var excerpt: String
    }

    struct Report {
        var conversions = 0
        var findings: [Finding] = []
        var factsChecked = 0

        func count(_ tone: ToneCategory, _ defect: Defect) -> Int {
            findings.reduce(0) { $0 + ($1.tone == tone && $1.defect == defect ? 1 : 0) }
        }

        var total: Int { findings.count }

        /// One line per tone: the count of each defect class.
        func table(title: String) -> String {
            var lines = ["\(title): \(conversions) conversions, \(factsChecked) facts checked"]
            let header = "tone".padding(toLength: 22, withPad: " ", startingAt: 0)
                + Defect.allCases.map { $0.rawValue }.joined(separator: " ")
            lines.append(header)
            for tone in ToneCategory.allCases {
                var line = tone.rawValue.padding(toLength: 22, withPad: " ", startingAt: 0)
                for d in Defect.allCases {
                    line += String(count(tone, d)).padding(toLength: d.rawValue.count + 1, withPad: " ", startingAt: 0)
                }
                lines.append(line)
            }
            return lines.joined(separator: "\n")
        }

        /// The first few findings of each class, for a failure message.
        func examples(perClass: Int = 3) -> String {
            var out: [String] = []
            for d in Defect.allCases {
                for f in findings.filter({ $0.defect == d }).prefix(perClass) {
                    out.append("[\(d.rawValue) · \(f.tone.rawValue)] \(f.excerpt)")
                }
            }
            return out.joined(separator: "\n")
        }
    }

    // MARK: Running the tones

    /// Descriptions the cases cycle through: both languages, items, professions, none.
    static let descriptions = [
        "", "a little girl with a red balloon", "an elderly man pushed in a wheelchair by his daughter",
        "a woman in a business suit carrying a briefcase", "a young man with a backpack", "a visitor with visitor badges",
        "a doctor in a white coat", "an old woman with grey hair", "a boy in a school uniform holding a teddy bear",
        "一位拄著拐杖的老爺爺", "一頭白髮的老奶奶", "一位穿著制服的小學生", "穿西裝的男士", "背著背包的年輕人", "一位穿著白袍的醫生",
    ]

    /// Converts `answer` as the host does: pushed through the sentence splitter, one call per
    /// sentence, then a final call with what is left; the outputs concatenated.
    static func convert(_ c: Case, tone: ToneCategory, firstMessage: Bool, session: String) -> String {
        let language = LanguageDetector.answerLanguage(for: c.question)
        let context = ToneContext(userDescription: c.description, userMessage: c.question, language: language,
                                  firstMessage: firstMessage, sessionID: session)
        let memory = AnswerMemory()
        var splitter = SentenceSplitter()
        var out = ""
        var index = 0
        for sentence in splitter.push(c.answer) {
            out += ToneRewriter.convert(sentence, index: index, isFinal: false, category: tone, context: context, memory: memory)
            index += 1
        }
        out += ToneRewriter.convert(splitter.finish(), index: index, isFinal: true, category: tone, context: context, memory: memory)
        return out
    }

    static func run(_ cases: [Case]) -> Report {
        var report = Report()
        for (k, c) in cases.enumerated() {
            for tone in ToneCategory.allCases {
                for first in [true, false] {
                    let output = convert(c, tone: tone, firstMessage: first, session: "quality-\(k % 7)")
                    report.conversions += 1
                    let (defects, facts) = inspect(c, output: output)
                    report.factsChecked += facts
                    for (d, excerpt) in defects {
                        report.findings.append(Finding(defect: d, tone: tone, excerpt: excerpt + "  ⟵ Q: \(c.question) | D: \(c.description) | first: \(first) | OUT: \(output)"))
                    }
                }
            }
        }
        return report
    }

    // MARK: Inspection

    static func regex(_ p: String) -> NSRegularExpression { try! NSRegularExpression(pattern: p, options: []) }

    static let particles = "喔呢啊啦吧耶呀唷哦"
    static let particleAfterData: [NSRegularExpression] = [
        regex("[0-9A-Za-z%」』”\"’）)\\]][\(particles)]"),
        regex("(?:\\+?\\d[\\d-]{5,}\\d|https?://[^\\s，。！？]+|www\\.[^\\s，。！？]+|[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\\.[A-Za-z]{2,})[!！]"),
    ]
    static let tag = regex("[(（](?:smiles?|smiling|laughs?|laughing|waves?|winks?|giggles?|claps?|nods?|grins?|微笑|笑|揮手|眨眼|拍手)[)）]")
    static let chineseTag = regex("（(?:微笑|笑|揮手|眨眼|拍手)）")
    static let englishTag = regex("\\((?:smiles?|smiling|laughs?|laughing|waves?|winks?|giggles?|claps?|nods?|grins?)\\)")
    static let doubled = regex("[\(particles)嗎][\(particles)]|[!！]{2,}")
    static let glued = regex("[a-z0-9)\\]\"”][.!?](?=[A-Z(\\[])")
    static let possessiveAfterBracket = regex("[)）]['’]s\\b")
    static let cheerful = regex("(?i)(?:guess what|cool|fun question|hope that helps|sure thing|let me tell you|ooh|有趣|好棒|告訴你|哇|跟你說)")
    static let noInformation = regex("(?i)(?:don['’]t have (?:any )?information|do not have (?:any )?information|沒有相關資料|沒有這方面的資料)")

    /// Spelled-out forms of abbreviations common in the knowledge bases (the checker's own list).
    static let expansions = [
        "Industrial Technology Research Institute", "工業技術研究院", "Taiwan Semiconductor Manufacturing Company", "台灣積體電路製造公司",
        "United Microelectronics Corporation", "artificial intelligence", "人工智慧", "integrated circuit", "積體電路",
        "research and development", "研究與開發", "Internet of Things", "物聯網", "light-emitting diode", "發光二極體",
        "Ministry of Economic Affairs", "Very Large Scale Integration",
    ]

    static func matches(_ r: NSRegularExpression, _ s: String) -> [String] {
        let ns = s as NSString
        return r.matches(in: s, range: NSRange(location: 0, length: ns.length)).map { ns.substring(with: $0.range) }
    }

    static func occurrences(_ needle: String, in s: String) -> Int {
        var n = 0
        var range = s.startIndex..<s.endIndex
        while let r = s.range(of: needle, options: .caseInsensitive, range: range) { n += 1; range = r.upperBound..<s.endIndex }
        return n
    }

    static func plainOccurrences(_ needle: String, in s: String) -> Int {
        var n = 0
        var range = s.startIndex..<s.endIndex
        while let r = s.range(of: needle, range: range) { n += 1; range = r.upperBound..<s.endIndex }
        return n
    }

    /// Matches of `r` in `output` beyond those already in `input`.
    static func added(_ r: NSRegularExpression, input: String, output: String) -> [String] {
        var before = matches(r, input)
        var extra: [String] = []
        for m in matches(r, output) {
            if let k = before.firstIndex(of: m) { before.remove(at: k) } else { extra.append(m) }
        }
        return extra
    }

    /// The defects of one toned answer and the number of facts checked.
    static func inspect(_ c: Case, output: String) -> (defects: [(Defect, String)], facts: Int) {
        var defects: [(Defect, String)] = []
        let language = LanguageDetector.answerLanguage(for: c.question)
        let input = c.answer

        for r in particleAfterData {
            for m in added(r, input: input, output: output) { defects.append((.particleAfterData, m)) }
        }

        if !matches(noInformation, input).isEmpty {
            for m in matches(tag, output) { defects.append((.markerOnNoInformation, m)) }
            for m in matches(cheerful, output) { defects.append((.markerOnNoInformation, m)) }
            // From the no-information sentence on: no "!" and no particle on it.
            let ns = output as NSString
            if let m = noInformation.firstMatch(in: output, range: NSRange(location: 0, length: ns.length)) {
                let tail = ns.substring(from: m.range.location)
                let sentence = SentenceSplitter.split(tail).first ?? tail
                if sentence.contains("!") || sentence.contains("！") { defects.append((.markerOnNoInformation, sentence)) }
                if let last = ChineseParts.bodyEnd(sentence), particles.contains(last) { defects.append((.markerOnNoInformation, sentence)) }
            }
        }

        let tags = matches(tag, output)
        if tags.count > max(1, matches(tag, input).count) { defects.append((.doubledMarker, tags.joined(separator: " "))) }
        for m in added(doubled, input: input, output: output) { defects.append((.doubledMarker, m)) }

        for e in expansions {
            let n = occurrences(e, in: output)
            if n > max(1, occurrences(e, in: input)) { defects.append((.expansionTwice, "\(e) ×\(n)")) }
        }
        for m in added(possessiveAfterBracket, input: input, output: output) { defects.append((.expansionTwice, m)) }

        for m in added(glued, input: input, output: output) { defects.append((.missingSpace, m)) }

        // Language frame.
        let bodyLanguage = LanguageDetector.detect(input)
        if bodyLanguage != language {
            let note = language == .english ? regex("\\b(?:Chinese|English)\\b") : regex("中文|英文")
            if added(note, input: input, output: output).isEmpty {
                defects.append((.mixedFrame, "no language note"))
            }
        }
        let foreignTag = language == .english ? chineseTag : englishTag
        for m in added(foreignTag, input: input, output: output) { defects.append((.mixedFrame, m)) }

        // Facts: every number and name of the untoned answer, as often as it has them.
        let facts = Facts.numbersAndNames(input) + c.names.filter { input.contains($0) }
        for fact in Set(facts) where plainOccurrences(fact, in: output) < plainOccurrences(fact, in: input) {
            defects.append((.lostFact, fact))
        }
        return (defects, facts.count)
    }

    enum ChineseParts {
        /// The last character of a sentence before its terminal punctuation and closers.
        static func bodyEnd(_ s: String) -> Character? {
            s.last(where: { !"。！？；!?.…～~」』）)\"”’ ".contains($0) })
        }
    }

    enum Facts {
        /// Numbers ("6,000", "+886-3-5820045", "2024", "3F") and names: capitalised Latin words and
        /// acronyms that are not common words the rules may rewrite, and 「quoted」 names.
        static func numbersAndNames(_ text: String) -> [String] {
            var facts: [String] = []
            for token in matches(regex(#"\+?\d+(?:[.,:/-]\d+)*|[A-Za-z][A-Za-z0-9&]*"#), text) {
                if token.first!.isNumber || token.first == "+" {
                    facts.append(token)
                } else if token.first!.isUppercase, !ToneLexicon.englishWords.contains(token.lowercased()) {
                    facts.append(token)
                }
            }
            for quoted in matches(regex("「[^「」]{1,30}」"), text) { facts.append(String(quoted.dropFirst().dropLast())) }
            return facts
        }
    }

    // MARK: Answer sets

    /// Sentences of a passage as the model-free answerer would put them in an answer: up to 3
    /// in English, up to about 150 characters in Chinese.
    static func answer(from content: String) -> String {
        let sentences = SentenceSplitter.split(content)
        guard let first = sentences.first else { return "" }
        if LanguageDetector.detect(content) == .english {
            return sentences.prefix(3).joined(separator: " ")
        }
        var out = first
        for s in sentences.dropFirst() where out.count + s.count <= 150 { out += s }
        return out
    }

    static let noInformationReplies = ["I don't have information about that.", "目前資料庫中沒有相關資料。"]

    /// Cases from passages: each passage answers a question in its own language, every third
    /// one a question in the other language (the answerer's fallback), plus no-information replies.
    static func cases(passages: [(title: String, content: String, names: [String])], offset: Int) -> [Case] {
        var out: [Case] = []
        for (k, p) in passages.enumerated() {
            let a = answer(from: p.content)
            guard !a.isEmpty else { continue }
            let chinese = LanguageDetector.detect(a) == .traditionalChinese
            let own = chinese ? "請介紹\(p.title)。" : "Can you tell me about \(p.title)?"
            let d = descriptions[(k + offset) % descriptions.count]
            out.append(Case(question: own, answer: a, description: d, names: p.names))
            if k % 3 == 0 {
                let other = chinese ? "Can you tell me about this?" : "可以介紹一下這個嗎？"
                out.append(Case(question: other, answer: a, description: descriptions[(k + offset + 5) % descriptions.count], names: p.names))
            }
            if k % 10 == 0 {
                let q = chinese ? "火星上的天氣如何？" : "What is the weather on Mars?"
                out.append(Case(question: q, answer: noInformationReplies[chinese ? 1 : 0], description: d))
            }
        }
        return out
    }

    /// The bundled sample: the untoned answers of the golden file (the sample's own questions)
    /// and answers made from each sample passage.
    static func sampleCases(repoRoot: URL) throws -> [Case] {
        var out: [Case] = []
        let golden = repoRoot.appendingPathComponent("Tests/TonehostTests/Fixtures/golden-answers.json")
        let recorded = try JSONSerialization.jsonObject(with: Data(contentsOf: golden)) as? [String: String] ?? [:]
        for (k, key) in recorded.keys.sorted().enumerated() where key.hasPrefix("query | ") {
            let question = String(key.dropFirst("query | ".count))
            var a = recorded[key]!
            if a.hasSuffix("END_FLAG\n") { a.removeLast("END_FLAG\n".count) }
            a = a.trimmingWhitespace()
            for (j, d) in [descriptions[k % descriptions.count], descriptions[(k + 9) % descriptions.count]].enumerated() {
                out.append(Case(question: question, answer: a, description: j == 0 ? d : d))
            }
        }
        let sample = repoRoot.appendingPathComponent("Sources/KnowledgeStore/SampleKnowledge/itri.json")
        out += cases(passages: try passages(sample), offset: 0)
        return out
    }

    /// The real knowledge base, when it is next to the repository (../shared/corpus/itri-golden).
    static func corpusCases(directory: URL) throws -> [Case] {
        var all: [(title: String, content: String, names: [String])] = []
        let files = try FileManager.default.contentsOfDirectory(atPath: directory.path).filter { $0.hasSuffix(".json") }.sorted()
        for f in files { all += try passages(directory.appendingPathComponent(f)) }
        return cases(passages: all, offset: 3)
    }

    static func passages(_ file: URL) throws -> [(title: String, content: String, names: [String])] {
        guard let list = try JSONSerialization.jsonObject(with: Data(contentsOf: file)) as? [[String: Any]] else {
            throw NSError(domain: "ToneQuality", code: 1, userInfo: [NSLocalizedDescriptionKey: "\(file.path): expected a JSON list of objects"])
        }
        return list.compactMap { entry in
            guard let content = entry["content"] as? String else { return nil }
            let title = (entry["title"] as? String) ?? (entry["term"] as? String) ?? "this"
            var names: [String] = []
            for key in ["leader", "item", "unit_name"] {
                guard let v = entry[key] as? String else { continue }
                names += v.split(whereSeparator: { " /、,".contains($0) }).map(String.init).filter { $0.count >= 2 && !["董事長", "院長"].contains($0) }
            }
            return (title, content, names)
        }
    }
}
