import Foundation
import ToneRules
import TonehostText
import XCTest

// MARK: - Tone selection

final class RuleToneSelectorTests: XCTestCase {
    struct LabelledDescription: Decodable {
        let description: String
        let tone: String
        let note: String?
    }

    /// Tricky cases of our own, next to the shared labelled file.
    static let inline: [(String, ToneCategory)] = [
        ("", .casual),
        ("   ", .casual),
        ("an elderly man with a walking stick", .elder),
        ("an older woman with grey hair", .elder),
        ("a man with gray hair reading a map", .elder),
        ("a grandfather holding his grandson's hand", .elder),  // elder > child
        ("a woman in a wheelchair wearing a business suit", .elder),  // elder > professional
        ("a 75-year-old man", .elder),
        ("a lady in her seventies", .elder),
        ("a young man scolding his dog", .casual),  // "scold" is not "old"
        ("a bold goldsmith with a leather apron", .casual),  // neither is "bold" nor "goldsmith"
        ("a man eating a candy cane", .casual),  // not a walking cane
        ("a woman in a tie-dye shirt", .casual),  // not a tie
        ("a girl with a white hair clip", .child),  // not white hair
        ("a little boy with a red balloon", .child),
        ("a student in a school uniform carrying a backpack", .child),
        ("an 8-year-old with a toy robot", .child),
        ("a businessman with his young son", .child),  // child > professional
        ("a woman in a business suit with a briefcase", .professional),
        ("an office worker wearing a tie", .professional),
        ("a man dressed formally", .professional),
        ("a teenager with a skateboard", .child),  // teenagers get the child tone
        ("a traveler pulling a suitcase", .casual),  // "suitcase" is not a suit
        ("a woman holding her boyfriend's hand", .casual),  // "boyfriend" is not "boy"
        ("😀🎒 a backpacker", .casual),
        ("a middle-aged woman wearing glasses", .casual),
        ("a couple taking photos", .casual),
        ("一位拄著拐杖的老爺爺", .elder),
        ("坐在輪椅上的老奶奶", .elder),
        ("一位白髮的阿嬤牽著小孫子", .elder),
        ("一位穿著制服的小學生", .child),
        ("幾個國中生在看展覽", .child),
        ("一位穿著西裝、提著公事包的上班族", .professional),
        ("一位打著領帶的商務人士", .professional),
        ("穿著非正式服裝的年輕人", .casual),  // 非正式 is "informal"
        ("戴眼鏡的年輕女生", .casual),
        ("👴 with a hat", .elder),
        ("👵🏻", .elder),
        ("a visitor 🧒", .child),
        ("💼 visitor", .professional),
        ("👔", .professional),
    ]

    func testInlineLabelledCases() {
        XCTAssertGreaterThanOrEqual(Self.inline.count, 15)
        for (description, expected) in Self.inline {
            let got = RuleToneSelector.explain(description)
            XCTAssertEqual(got.category, expected, "\"\(description)\" → \(got.category.rawValue) (cue: \(got.cue ?? "none"))")
        }
    }

    /// The shared labelled set (Fixtures/tone-descriptions.json): every case must be right.
    func testLabelledFixtureAccuracyIsComplete() throws {
        guard let url = Bundle.module.url(forResource: "tone-descriptions", withExtension: "json", subdirectory: "Fixtures") else {
            throw XCTSkip("Fixtures/tone-descriptions.json is not there yet")
        }
        let cases = try JSONDecoder().decode([LabelledDescription].self, from: Data(contentsOf: url))
        XCTAssertFalse(cases.isEmpty, "the labelled set is empty")
        var wrong: [String] = []
        for c in cases {
            let expected = Self.category(named: c.tone)
            XCTAssertNotNil(expected, "unknown tone label \(c.tone) for \"\(c.description)\"")
            let got = RuleToneSelector.explain(c.description)
            if got.category != expected {
                wrong.append("\"\(c.description)\" → \(got.category.rawValue) (cue: \(got.cue ?? "none")), labelled \(c.tone)\(c.note.map { " — \($0)" } ?? "")")
            }
            XCTAssertEqual(RuleToneSelector.select(c.description, available: ToneCategory.allCases.map(\.rawValue)), got.category.rawValue)
        }
        let accuracy = Double(cases.count - wrong.count) / Double(max(cases.count, 1))
        XCTAssertEqual(accuracy, 1.0, "accuracy \(accuracy) on \(cases.count) cases; wrong:\n" + wrong.joined(separator: "\n"))
    }

    /// A third party's tone with cues: it takes the visitors its cues name, and every labelled
    /// description without such a cue keeps its built-in tone.
    func testThirdPartyCuesTakeTheirVisitorsAndLeaveTheRest() throws {
        let url = try XCTUnwrap(Bundle.module.url(forResource: "tone-descriptions", withExtension: "json", subdirectory: "Fixtures"))
        let cases = try JSONDecoder().decode([LabelledDescription].self, from: Data(contentsOf: url))
        let teen = CustomToneCues(category: "teen_friendly", english: ["teenager", "teen", "teens", "skateboard", "high school student"],
                                  chinese: ["青少年", "高中生", "滑板"], first: true)
        let available = ToneCategory.allCases.map(\.rawValue) + ["teen_friendly"]
        XCTAssertEqual(RuleToneSelector.choose("a teenager with a skateboard", available: available, custom: [teen]).category, "teen_friendly")
        XCTAssertEqual(RuleToneSelector.choose("一位拿著滑板的高中生", available: available, custom: [teen]).category, "teen_friendly")
        XCTAssertEqual(RuleToneSelector.choose("a teenager", available: ToneCategory.allCases.map(\.rawValue), custom: [teen]).category,
                       "child_friendly", "a tone that is not loaded is never chosen")
        XCTAssertEqual(RuleToneSelector.choose("steenager", available: available, custom: [teen]).category, "casual_friendly", "whole words")
        var kept = 0
        for c in cases {
            let words = c.description.lowercased().split { !$0.isLetter }.map(String.init)
            let hasTeenCue = words.contains { ["teenager", "teen", "teens", "skateboard"].contains($0) }
                || ["青少年", "高中生", "滑板"].contains { c.description.contains($0) } || c.description.lowercased().contains("high school student")
            let got = RuleToneSelector.choose(c.description, available: available, custom: [teen]).category
            if hasTeenCue {
                XCTAssertEqual(got, "teen_friendly", c.description)
            } else {
                XCTAssertEqual(got, Self.category(named: c.tone)?.rawValue, "\"\(c.description)\" changed tone with a third-party tone loaded")
                kept += 1
            }
        }
        XCTAssertGreaterThan(kept, 60)
        // "last": only where no built-in rule matched.
        let late = CustomToneCues(category: "teen_friendly", english: ["teenager", "hoodie"], chinese: [], first: false)
        XCTAssertEqual(RuleToneSelector.choose("a teenager", available: available, custom: [late]).category, "child_friendly")
        XCTAssertEqual(RuleToneSelector.choose("a man in a hoodie", available: available, custom: [late]).category, "teen_friendly")
    }

    static func category(named name: String) -> ToneCategory? {
        if let c = ToneCategory(rawValue: name) { return c }
        return ToneCategory.allCases.first { $0.rawValue.hasPrefix(name + "_") }
    }

    func testSelectFallsBackToCasual() {
        let all = ToneCategory.allCases.map(\.rawValue)
        XCTAssertEqual(RuleToneSelector.select("", available: all), "casual_friendly")
        XCTAssertEqual(RuleToneSelector.select("an elderly man", available: all), "elder_friendly")
        XCTAssertEqual(RuleToneSelector.select("an elderly man", available: ["casual_friendly", "child_friendly"]), "casual_friendly")
        XCTAssertEqual(RuleToneSelector.select("a little girl", available: ["child_friendly"]), "child_friendly")
    }

    func testExplainNamesTheCue() {
        XCTAssertEqual(RuleToneSelector.explain("a man with a walking stick").cue, "walking stick")
        XCTAssertEqual(RuleToneSelector.explain("a man with a walking stick").category, .elder)
        XCTAssertEqual(RuleToneSelector.explain("一位拄著拐杖的老先生").category, .elder)
        XCTAssertNil(RuleToneSelector.explain("a woman with a camera").cue)
        XCTAssertEqual(RuleToneSelector.explain("a woman with a camera").category, .casual)
    }
}

// MARK: - Tone conversion

final class ToneRewriterTests: XCTestCase {
    static let english = "ITRI was established in 1973 in Hsinchu. It has approximately 6,000 employees, and it is basically one of the largest AI and R&D institutes in Asia. TSMC and UMC started as ITRI spin-offs; they don't just make chips, they really changed the industry! Visitors can't enter the labs without a badge."
    static let chinese = "工研院成立於1973年，位於新竹。其實工研院約有6000名員工，是亞洲最大的研究機構之一！台積電和聯電都是從工研院衍生出來的公司。你可以在展示館看到AI和IC技術的成果。"

    static func context(_ language: Language, first: Bool = false, session: String = "session-1",
                        description: String = "a girl wearing a red school uniform") -> ToneContext {
        ToneContext(userDescription: description, userMessage: language == .english ? "Tell me about ITRI" : "工研院是什麼？",
                    language: language, firstMessage: first, sessionID: session)
    }

    /// Converts as the host does while an answer streams: sentence by sentence, then a final empty call.
    static func streamed(_ text: String, _ category: ToneCategory, _ context: ToneContext) -> String {
        let sentences = SentenceSplitter.split(text)
        let memory = AnswerMemory()  // one per answer, as the rule tone plugins keep it
        var out = ""
        for (i, s) in sentences.enumerated() {
            out += ToneRewriter.convert(s, index: i, isFinal: false, category: category, context: context, memory: memory)
        }
        out += ToneRewriter.convert("", index: sentences.count, isFinal: true, category: category, context: context, memory: memory)
        return out
    }

    /// Converts a whole answer in one final call (a tone that does not stream).
    static func whole(_ text: String, _ category: ToneCategory, _ context: ToneContext) -> String {
        ToneRewriter.convert(text, index: 0, isFinal: true, category: category, context: context)
    }

    func testFourTonesGiveFourDifferentOutputs() {
        for (text, language) in [(Self.english, Language.english), (Self.chinese, .traditionalChinese)] {
            for first in [false, true] {
                let c = Self.context(language, first: first)
                let streamed = ToneCategory.allCases.map { Self.streamed(text, $0, c) }
                XCTAssertEqual(Set(streamed).count, 4, "\(language) first=\(first): \(streamed)")
                let whole = ToneCategory.allCases.map { Self.whole(text, $0, c) }
                XCTAssertEqual(Set(whole).count, 4, "\(language) first=\(first): \(whole)")
                for out in streamed + whole { XCTAssertNotEqual(out, text) }
            }
        }
    }

    func testNoFactIsLostInAnyTone() {
        for category in ToneCategory.allCases {
            for session in ["a", "b", "c", "d", "e"] {
                for first in [false, true] {
                    for (text, language) in [(Self.english, Language.english), (Self.chinese, .traditionalChinese)] {
                        let c = Self.context(language, first: first, session: session)
                        for out in [Self.streamed(text, category, c), Self.whole(text, category, c)] {
                            Facts.assertKept(from: text, in: out, "\(category.rawValue) \(language.rawValue) session \(session)")
                        }
                    }
                }
            }
        }
    }

    func testNoFactIsLostInTrickierText() {
        let texts: [(String, Language)] = [
            ("Actually, you know, the museum is open from 9 a.m. to 5 p.m. It's really just 5 minutes from Taipei Main Station! Don't miss the 3D printing demo, e.g. the robot arm. Really?", .english),
            ("So, we're going to need about 30 minutes. There is a café on the 2nd floor, and it serves drinks; however, it is closed on Mondays. Dr. Chen founded the lab on March 5, 2024 with US$2.5 million.", .english),
            ("The answer is: 42", .english),
            ("你知道工研院在哪裡嗎？基本上它在新竹。就是說，交通很方便喔！請參考下列資訊：", .traditionalChinese),
            ("工研院在2023年發表了5G和AIoT技術；其實際應用包含智慧醫療。你們可以到光復院區參觀！", .traditionalChinese),
        ]
        for (text, language) in texts {
            for category in ToneCategory.allCases {
                let c = Self.context(language, session: "tricky")
                Facts.assertKept(from: text, in: Self.streamed(text, category, c), "\(category.rawValue) streamed")
                Facts.assertKept(from: text, in: Self.whole(text, category, c), "\(category.rawValue) whole")
            }
        }
    }

    func testStreamingKeepsTheSameFactsAsWholeText() {
        for (text, language) in [(Self.english, Language.english), (Self.chinese, .traditionalChinese)] {
            for category in ToneCategory.allCases {
                let c = Self.context(language)
                let a = Self.streamed(text, category, c)
                let b = Self.whole(text, category, c)
                XCTAssertEqual(Facts.english(a).filter(Facts.english(text).contains), Facts.english(text), a)
                XCTAssertEqual(Facts.english(b).filter(Facts.english(text).contains), Facts.english(text), b)
                XCTAssertTrue(Facts.isSubsequence(Facts.chineseContent(text), of: Array(a)), a)
                XCTAssertTrue(Facts.isSubsequence(Facts.chineseContent(text), of: Array(b)), b)
            }
        }
    }

    func testSegmentsConcatenateCleanly() {
        for category in ToneCategory.allCases {
            for session in ["a", "b", "c"] {
                let out = Self.streamed(Self.english, category, Self.context(.english, first: true, session: session))
                XCTAssertNil(out.range(of: #"[.!?)][A-Za-z]"#, options: .regularExpression), "missing space: \(out)")
                XCTAssertFalse(out.contains("  "), "double space: \(out)")
                XCTAssertFalse(out.hasPrefix(" ") || out.hasPrefix("\n"), out)
                let zh = Self.streamed(Self.chinese, category, Self.context(.traditionalChinese, first: true, session: session))
                XCTAssertFalse(zh.contains("。 ") || zh.contains("！ "), "Chinese needs no spaces: \(zh)")
            }
        }
    }

    func testConversionIsDeterministic() {
        for category in ToneCategory.allCases {
            for (text, language) in [(Self.english, Language.english), (Self.chinese, .traditionalChinese)] {
                let c = Self.context(language)
                XCTAssertEqual(Self.streamed(text, category, c), Self.streamed(text, category, c))
                XCTAssertEqual(Self.whole(text, category, c), Self.whole(text, category, c))
                XCTAssertEqual(ToneRewriter.convert("It is 5 km away.", index: 2, isFinal: false, category: category, context: c),
                               ToneRewriter.convert("It is 5 km away.", index: 2, isFinal: false, category: category, context: c))
            }
        }
    }

    func testChildTone() {
        let zh = Self.streamed(Self.chinese, .child, Self.context(.traditionalChinese))
        XCTAssertTrue(["喔", "呢", "啊"].contains { zh.contains($0) }, zh)
        XCTAssertTrue(zh.hasSuffix("？") || zh.hasSuffix("）") || zh.hasSuffix("！") || zh.hasSuffix("吧！"), zh)
        let en = Self.streamed(Self.english, .child, Self.context(.english))
        XCTAssertTrue(en.contains("started in 1973"), en)  // established → started
        XCTAssertTrue(en.contains("about 6,000"), en)  // approximately → about
        XCTAssertTrue(en.contains("?"), "an inviting question at the end: \(en)")
        // Long sentences are cut at ", and it …" / "; ".
        XCTAssertNotNil(en.range(of: #"6,000 employees[.!]( \(\w+\))? It is"#, options: .regularExpression), en)
        XCTAssertNotNil(en.range(of: #"spin-offs[.!]( \(\w+\))? They"#, options: .regularExpression), en)
        // Every sentence of a Chinese answer ends with a particle.
        let one = ToneRewriter.convert("工研院位於新竹。", index: 1, isFinal: false, category: .child, context: Self.context(.traditionalChinese))
        XCTAssertTrue(one.hasPrefix("工研院位於新竹") && ["喔！", "呢！", "啊！"].contains { one.hasPrefix("工研院位於新竹" + $0) }, one)
    }

    /// The word lists replace whole words only, keep names, and join a phrase's words across any
    /// white space the expression's `\s+` takes (the lists are matched without it since #14).
    func testWordListsReplaceWholeWordsOnly() {
        func elder(_ s: String) -> String {
            ToneRewriter.convert(s, index: 1, isFinal: false, category: .elder, context: Self.context(.english))
        }
        XCTAssertTrue(elder("The lab will utilize robots.").contains("will use robots"))
        XCTAssertTrue(elder("Utilize the map.").contains("Use the map"))  // first word: not a name
        XCTAssertTrue(elder("We saw the Numerous Robots exhibit.").contains("the Numerous Robots"))  // a name
        XCTAssertTrue(elder("THE LAB WILL UTILIZE IT.").contains("UTILIZE"))  // all capitals: a name
        for space in [" ", "  ", "\u{00A0}", "\u{3000}", "\t"] {
            XCTAssertTrue(elder("They came in\(space)order\(space)to learn.").contains("came to learn"), "space \(space.unicodeScalars.map(\.value))")
        }
        for kept in ["preutilize", "utilize-based", "utilizes's", "utilize’s", "utilize_x", "utilizé", "工研院utilize"] {
            XCTAssertTrue(elder("They \(kept) it.").contains(kept), kept)
        }
        XCTAssertTrue(elder("They utilize, and utilize.").contains("use, and use"))
        let child = ToneRewriter.convert("It is small, however, it works.", index: 1, isFinal: false, category: .child, context: Self.context(.english))
        XCTAssertTrue(child.contains("small, but it works"), child)  // a phrase ending in a comma
    }

    func testElderTone() {
        let zh = Self.streamed(Self.chinese, .elder, Self.context(.traditionalChinese))
        XCTAssertTrue(zh.contains("您"), zh)
        XCTAssertTrue(zh.contains("您可以在展示館"), zh)  // 你 → 您
        XCTAssertTrue(zh.contains("IC（積體電路）"), zh)
        XCTAssertTrue(zh.contains("AI（人工智慧）"), zh)
        XCTAssertTrue(zh.contains("請"), zh)
        XCTAssertFalse(zh.contains("！"), "calm: \(zh)")
        let en = Self.streamed(Self.english, .elder, Self.context(.english))
        XCTAssertTrue(en.contains("AI (artificial intelligence)"), en)
        XCTAssertTrue(en.contains("R&D (research and development)"), en)
        XCTAssertTrue(en.contains("Please take your time."), en)
        XCTAssertTrue(en.contains("cannot enter"), en)
        // Explained once per answer, also across segments.
        let repeated = "AI helps doctors. AI also helps farmers. Many labs study AI."
        let out = Self.streamed(repeated, .elder, Self.context(.english, session: "ai"))
        XCTAssertEqual(out.components(separatedBy: "artificial intelligence").count - 1, 1, out)
        XCTAssertEqual(Self.whole(repeated, .elder, Self.context(.english, session: "ai2")).components(separatedBy: "artificial intelligence").count - 1, 1)
    }

    func testProfessionalTone() {
        let en = Self.streamed(Self.english, .professional, Self.context(.english))
        for filler in ["basically", "really", "just", "don't", "can't"] {
            XCTAssertNil(en.range(of: "\\b\(filler)\\b", options: [.regularExpression, .caseInsensitive]), "\(filler) left in: \(en)")
        }
        XCTAssertFalse(en.contains("do not make chips"), "dropping \"just\" must not flip the meaning: \(en)")
        XCTAssertTrue(en.contains("cannot enter"), en)
        XCTAssertFalse(en.contains("!"), en)
        XCTAssertFalse(en.contains("(smiles)"), en)
        let tagged = ToneRewriter.convert("Well, it's really great! (smiles) 😀", index: 0, isFinal: false, category: .professional, context: Self.context(.english))
        XCTAssertEqual(tagged, "It is great.")
        let zh = Self.streamed(Self.chinese, .professional, Self.context(.traditionalChinese))
        XCTAssertFalse(zh.contains("其實"), zh)
        XCTAssertFalse(zh.contains("！"), zh)
        XCTAssertTrue(ToneRewriter.convert("基本上就是說，這很重要喔！", index: 0, isFinal: false, category: .professional,
                                           context: Self.context(.traditionalChinese)) == "這很重要。")
    }

    func testCasualTone() {
        let en = Self.streamed(Self.english, .casual, Self.context(.english))
        XCTAssertTrue(en.contains("it's"), en)
        XCTAssertTrue(en.contains("can't"), en)
        let contracted = ToneRewriter.convert("It is open and we do not close early.", index: 1, isFinal: false, category: .casual,
                                              context: Self.context(.english))
        XCTAssertTrue(contracted.lowercased().contains("it's open") && contracted.contains("don't close"), contracted)
        // "it is" at the end of a sentence stays whole.
        let end = ToneRewriter.convert("I know where it is.", index: 1, isFinal: false, category: .casual, context: Self.context(.english))
        XCTAssertTrue(end.contains("where it is."), end)
    }

    func testFirstMessageGreetsByAppearance() {
        let english = Self.context(.english, first: true, description: "a girl wearing a red school uniform")
        for category in ToneCategory.allCases {
            let out = ToneRewriter.convert("ITRI is in Hsinchu.", index: 0, isFinal: false, category: category, context: english)
            XCTAssertTrue(out.contains("red school uniform"), "\(category.rawValue): \(out)")
            XCTAssertTrue(out.hasSuffix("Hsinchu.") || out.hasSuffix("Hsinchu!") || out.contains("Hsinchu"), out)
        }
        let chinese = Self.context(.traditionalChinese, first: true, description: "一位穿著制服的小學生")
        for category in ToneCategory.allCases {
            let out = ToneRewriter.convert("工研院在新竹。", index: 0, isFinal: false, category: category, context: chinese)
            XCTAssertTrue(out.contains("制服"), "\(category.rawValue): \(out)")
        }
        // A description in the other language is carried over by the glossary.
        let crossed = Self.context(.traditionalChinese, first: true, description: "an elderly man in a dark business suit")
        XCTAssertTrue(ToneRewriter.convert("工研院在新竹。", index: 0, isFinal: false, category: .elder, context: crossed).contains("西裝"))
        // A walking stick, a wheelchair or grey hair is nothing to remark on: a greeting without it.
        for d in ["an elderly man with a walking stick", "an elderly man pushed in a wheelchair by his daughter", "一頭白髮的老奶奶"] {
            for language in Language.allCases {
                let out = ToneRewriter.convert("工研院在新竹。", index: 0, isFinal: false, category: .elder,
                                               context: Self.context(language, first: true, description: d))
                for word in ["stick", "wheelchair", "hair", "拐杖", "輪椅", "白髮"] { XCTAssertFalse(out.contains(word), out) }
            }
        }
        // The child greeting follows the brief's example.
        let child = ToneRewriter.convert("", index: 0, isFinal: false, category: .child,
                                         context: Self.context(.english, first: true, description: "a boy with a school uniform"))
        XCTAssertEqual(child, "Hi there, little friend with the school uniform! (waves)")
        // No description: a greeting without appearance.
        let plain = ToneRewriter.convert("Hi.", index: 0, isFinal: false, category: .professional,
                                         context: Self.context(.english, first: true, description: ""))
        XCTAssertTrue(plain.hasPrefix("Good day."), plain)
    }

    func testLaterMessagesMentionAppearanceOnlySometimesAndOnlyFirst() {
        var mentions = 0
        for n in 0..<80 {
            let c = Self.context(.english, first: false, session: "s\(n)", description: "a girl wearing a red school uniform")
            if ToneRewriter.convert("ITRI is in Hsinchu.", index: 0, isFinal: false, category: .casual, context: c).contains("uniform") {
                mentions += 1
            }
            XCTAssertFalse(ToneRewriter.convert("ITRI is in Hsinchu.", index: 1, isFinal: false, category: .casual, context: c).contains("uniform"))
            XCTAssertFalse(ToneRewriter.convert("ITRI is in Hsinchu.", index: 3, isFinal: true, category: .child, context: c).contains("uniform"))
        }
        XCTAssertGreaterThan(mentions, 5, "about one in four later answers mentions the appearance")
        XCTAssertLessThan(mentions, 40, "about one in four later answers mentions the appearance")
    }

    func testEmptyFinalSegment() {
        let c = Self.context(.english)
        XCTAssertTrue(ToneRewriter.convert("", index: 3, isFinal: true, category: .child, context: c).hasPrefix(" "))
        XCTAssertTrue(ToneRewriter.convert("", index: 3, isFinal: true, category: .child, context: c).contains("?"))
        XCTAssertTrue(ToneRewriter.convert("", index: 3, isFinal: true, category: .elder, context: c).contains("Please take your time."))
        XCTAssertFalse(ToneRewriter.convert("", index: 3, isFinal: true, category: .child, context: Self.context(.traditionalChinese)).hasPrefix(" "))
    }

    func testMixedSentencesFollowTheirOwnLanguage() {
        let c = Self.context(.english)
        let english = ToneRewriter.convert("ITRI (工研院) is in Hsinchu.", index: 1, isFinal: false, category: .child, context: c)
        XCTAssertFalse(english.contains("喔") || english.contains("呢") || english.contains("啊"), english)
        let chinese = ToneRewriter.convert("工研院很棒!", index: 1, isFinal: false, category: .child, context: Self.context(.traditionalChinese))
        XCTAssertTrue(["喔", "呢", "啊"].contains { chinese.contains($0) }, chinese)
    }

    func testProfessionalKeepsListItemsWithTheirMarkers() {
        let out = Self.streamed("Two labs:\n1. ITRI\n2. TSMC", .professional, Self.context(.english, session: "list"))
        XCTAssertTrue(out.contains("1. ITRI"), out)
        XCTAssertTrue(out.contains("2. TSMC"), out)
    }
}

// MARK: - Facts that must survive a tone

enum Facts {
    /// Numbers ("6,000", "3.5", "2024") and names: capitalised words and acronyms, except the
    /// common words the rules may rewrite (``ToneLexicon/englishWords``, e.g. a sentence-initial "Actually").
    static func english(_ text: String) -> [String] {
        var facts: [String] = []
        let pattern = try! NSRegularExpression(pattern: #"\d+(?:[.,:/]\d+)*|[A-Za-z][A-Za-z0-9&]*"#)
        let ns = text as NSString
        for m in pattern.matches(in: text, range: NSRange(location: 0, length: ns.length)) {
            let token = ns.substring(with: m.range)
            if token.first!.isNumber {
                facts.append(token)
            } else if token.first!.isUppercase, !ToneLexicon.englishWords.contains(token.lowercased()) {
                facts.append(token)
            }
        }
        return facts
    }

    /// The Chinese content of `text`: its ideographs, in order, without the pronouns, fillers and
    /// particles the rules may swap, drop or add (``ToneLexicon/chineseTerms``).
    static func chineseContent(_ text: String) -> [Character] {
        var s = text
        for term in ToneLexicon.chineseTerms.sorted(by: { $0.count > $1.count }) {
            s = s.replacingOccurrences(of: term, with: " ")
        }
        return s.filter { ch in ch.unicodeScalars.allSatisfy(LanguageDetector.isIdeograph) }.map { $0 }
    }

    static func isSubsequence(_ needle: [Character], of haystack: [Character]) -> Bool {
        var i = 0
        for c in haystack where i < needle.count && c == needle[i] { i += 1 }
        return i == needle.count
    }

    static func assertKept(from input: String, in output: String, _ label: String, file: StaticString = #filePath, line: UInt = #line) {
        // Every number and name, as often as the input has it.
        var remaining = english(output)
        for fact in english(input) {
            if let k = remaining.firstIndex(of: fact) {
                remaining.remove(at: k)
            } else {
                XCTFail("\(label): lost \"\(fact)\" in: \(output)", file: file, line: line)
            }
        }
        // Each sentence's Chinese content, in order; and the whole answer's, in order.
        let out = Array(output)
        for sentence in SentenceSplitter.split(input) {
            let content = chineseContent(sentence)
            XCTAssertTrue(isSubsequence(content, of: out), "\(label): lost Chinese of \"\(sentence)\" in: \(output)", file: file, line: line)
        }
        XCTAssertTrue(isSubsequence(chineseContent(input), of: out), "\(label): Chinese reordered in: \(output)", file: file, line: line)
    }
}
