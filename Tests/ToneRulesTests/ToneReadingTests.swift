import Foundation
import ToneRules
import TonehostText
import XCTest

/// The mistakes issue #15 found reading the rule tones as a visitor would, one test each.
final class ToneReadingTests: XCTestCase {
    static func context(_ language: Language, first: Bool = false, description: String = "", question: String? = nil,
                        session: String = "reading") -> ToneContext {
        ToneContext(userDescription: description, userMessage: question ?? (language == .english ? "Tell me about ITRI" : "工研院是什麼？"),
                    language: language, firstMessage: first, sessionID: session)
    }

    static func streamed(_ text: String, _ category: ToneCategory, _ context: ToneContext) -> String {
        ToneRewriterTests.streamed(text, category, context)
    }

    static let particles = Set("喔呢啊啦吧耶呀唷哦")

    func testNoParticleOnDataInManySessions() {
        let data = ["傳真：+886-3-5820045。", "地點在TTD大樓 3F。", "他被稱為「台灣半導體之父」。", "網址是https://www.itri.org.tw。",
                    "地址為新竹縣竹東鎮中興路四段195號。", "工研院成立於1973年。"]
        for category in [ToneCategory.child, .casual] {
            for n in 0..<12 {
                for text in data {
                    let out = ToneRewriter.convert(text, index: 1, isFinal: false, category: category,
                                                   context: Self.context(.traditionalChinese, session: "data-\(n)"))
                    XCTAssertEqual(out, text, "\(category.rawValue): a particle or tag on data")
                }
            }
        }
        for n in 0..<12 {
            for text in ["Call +886-3-5820100.", "See www.itri.org.tw.", "The lab is in Building 51."] {
                let out = ToneRewriter.convert(text, index: 1, isFinal: false, category: .child, context: Self.context(.english, session: "en-\(n)"))
                XCTAssertFalse(out.contains("!") || out.contains("(smiles)") || out.contains("(claps)"), out)
            }
        }
        // Plain statements still get their particle.
        let plain = ToneRewriter.convert("工研院位於新竹。", index: 1, isFinal: false, category: .child, context: Self.context(.traditionalChinese))
        XCTAssertTrue(plain.contains("竹喔") || plain.contains("竹呢") || plain.contains("竹啊"), plain)
    }

    func testNoInformationIsSaidSoberly() {
        for category in ToneCategory.allCases {
            for first in [true, false] {
                for n in 0..<6 {
                    let en = Self.streamed("I don't have information about that.", category,
                                           Self.context(.english, first: first, description: "a little girl with a red balloon", session: "ni-\(n)"))
                    XCTAssertNil(en.range(of: #"\((?:smiles|claps|waves|laughs)\)"#, options: .regularExpression), en)
                    XCTAssertFalse(en.contains("cool") || en.contains("Guess what") || en.contains("fun"), en)
                    let sentence = en.range(of: "information about that").map { String(en[$0.lowerBound...]) } ?? ""
                    XCTAssertFalse(sentence.contains("!"), en)
                    let zh = Self.streamed("目前資料庫中沒有相關資料。", category,
                                           Self.context(.traditionalChinese, first: first, description: "一位穿著制服的小學生", session: "ni-\(n)"))
                    XCTAssertFalse(zh.contains("（微笑）") || zh.contains("（揮手）") || zh.contains("（笑）") || zh.contains("有趣"), zh)
                    XCTAssertTrue(zh.contains("沒有相關資料。"), zh)
                }
            }
        }
        XCTAssertTrue(Self.streamed("I don't have information about that.", .child, Self.context(.english))
            .hasSuffix("I'm sorry. I don't have information about that. Would you like to ask me about something else?"))
        XCTAssertTrue(Self.streamed("I don't have information about that.", .elder, Self.context(.english)).contains("I do not have information"))
    }

    func testOneExpressionTagPerAnswer() {
        let text = "ITRI is in Hsinchu. It has many labs. Visitors can see robots. The museum is free. It opens at nine."
        for n in 0..<20 {
            for first in [true, false] {
                let out = Self.streamed(text, .child, Self.context(.english, first: first, description: "a boy with a balloon", session: "tag-\(n)"))
                let tags = out.components(separatedBy: "(").count - 1
                XCTAssertLessThanOrEqual(tags, 1, out)
                let zh = Self.streamed("工研院在新竹。它有很多實驗室。訪客可以看到機器人。博物館免費參觀。", .child,
                                       Self.context(.traditionalChinese, first: first, description: "拿著氣球的小男孩", session: "tag-\(n)"))
                XCTAssertLessThanOrEqual(zh.components(separatedBy: "（").count - 1, 1, zh)
            }
        }
    }

    func testAbbreviationsAreExplainedOncePerAnswer() {
        let tsmc = "Taiwan Semiconductor Manufacturing Company (TSMC) was founded in 1987 out of ITRI's VLSI project. Later TSMC became the largest foundry."
        let out = Self.streamed(tsmc, .elder, Self.context(.english))
        XCTAssertEqual(out.components(separatedBy: "Taiwan Semiconductor Manufacturing Company").count - 1, 1, out)
        XCTAssertFalse(out.contains(")'s"), out)
        let spelled = "ITRI, the Industrial Technology Research Institute, is in Hsinchu. ITRI's labs are large. ITRI has 6,000 staff."
        let o2 = Self.streamed(spelled, .elder, Self.context(.english))
        XCTAssertEqual(o2.components(separatedBy: "Industrial Technology Research Institute").count - 1, 1, o2)
        // A quoted name stays whole.
        let name = "工研院「亞灣 5G AIoT 創新園區辦公室」位於高雄。"
        XCTAssertTrue(Self.streamed(name, .elder, Self.context(.traditionalChinese)).contains("「亞灣 5G AIoT 創新園區辦公室」"))
        // Still explained where it stands on its own.
        XCTAssertTrue(Self.streamed("AI helps doctors.", .elder, Self.context(.english)).contains("AI (artificial intelligence)"))
    }

    func testSegmentsNeverGlueEnglishSentences() {
        for category in ToneCategory.allCases {
            for n in 0..<6 {
                let c = Self.context(.english, first: true, description: "a woman in a business suit", session: "glue-\(n)")
                let out = Self.streamed("I don't have information about that.", category, c)
                XCTAssertNil(out.range(of: #"[a-z)][.!?][A-Z]"#, options: .regularExpression), out)
                let zhQuestion = Self.context(.traditionalChinese, first: n % 2 == 0, question: "工研院在哪裡？", session: "glue-\(n)")
                let english = Self.streamed("ITRI is in Hsinchu. It started in 1973. Headquartered in Chutung, it has labs.", category, zhQuestion)
                XCTAssertNil(english.range(of: #"[a-z0-9)][.!?][A-Z]"#, options: .regularExpression), english)
            }
        }
    }

    func testGreetingsAreGrammatical() {
        let cases: [(String, Language, [String])] = [
            ("an elderly man pushed in a wheelchair by his daughter", .english, ["pushed", "wheelchair"]),
            ("a visitor with visitor badges", .english, ["badges"]),
            ("一頭白髮的老奶奶", .traditionalChinese, ["白髮"]),
            ("a girl with a red balloon tied to her wrist", .english, ["tied"]),
        ]
        for (d, language, banned) in cases {
            for category in ToneCategory.allCases {
                let out = ToneRewriter.convert("", index: 0, isFinal: false, category: category, context: Self.context(language, first: true, description: d))
                for word in banned { XCTAssertFalse(out.contains(word), "\(category.rawValue) \(d): \(out)") }
            }
        }
        let balloon = ToneRewriter.convert("", index: 0, isFinal: false, category: .child,
                                           context: Self.context(.english, first: true, description: "a girl with a red balloon tied to her wrist"))
        XCTAssertEqual(balloon, "Hi there, little friend with the red balloon! (waves)")
        let suit = ToneRewriter.convert("", index: 0, isFinal: false, category: .elder,
                                        context: Self.context(.traditionalChinese, first: true, description: "一位穿著深色西裝、打著領帶的男士"))
        XCTAssertEqual(suit, "您好，歡迎您。很高興見到穿著深色西裝的您。")
    }

    func testOtherLanguagePassagesAreAnnounced() {
        let body = "展示工研院研發的「2吋紅光 LED 晶片」。此技術催生了台灣的LED產業。"
        for category in ToneCategory.allCases {
            let out = Self.streamed(body, category, Self.context(.english, first: true, description: "a young man with a backpack",
                                                                 question: "What is this exhibit?"))
            XCTAssertTrue(out.contains("in Chinese:"), out)
            XCTAssertFalse(out.contains("（笑）") || out.contains("（微笑）") || out.contains("喔") || out.contains("呢！"), out)
            for sentence in SentenceSplitter.split(body) { XCTAssertTrue(out.contains(sentence), "the passage is quoted as it is: \(out)") }
        }
        let zh = Self.streamed("ITRI is in Hsinchu.", .casual, Self.context(.traditionalChinese, question: "工研院在哪裡？"))
        XCTAssertTrue(zh.contains("英文"), zh)
    }

    func testChildWordsArePlain() {
        let en = Self.streamed("Taiwan moved beyond labor-intensive industries and built a homegrown integrated circuit company.", .child,
                               Self.context(.english))
        XCTAssertTrue(en.contains("industries that need many workers"), en)
        XCTAssertTrue(en.contains("local computer chip company"), en)
        let zh = Self.streamed("台灣經濟逐步擺脫勞力密集產業，並孕育了許多科技公司。", .child, Self.context(.traditionalChinese))
        XCTAssertTrue(zh.contains("需要很多人力的產業"), zh)
        XCTAssertTrue(zh.contains("培養出"), zh)
        // Quoted names keep their words.
        XCTAssertTrue(Self.streamed("工研院以「樞紐計畫」聞名。", .child, Self.context(.traditionalChinese)).contains("「樞紐計畫」"))
    }

    func testToneFactsAreNumbersAndNames() {
        XCTAssertEqual(ToneFacts.of("Backed by Philips, TSMC opened in 1987 at +886-3-5820100 in 「光復院區」."),
                       ["Philips", "TSMC", "1987", "+886-3-5820100", "光復院區"])
        XCTAssertEqual(ToneFacts.missing(original: "ITRI has 2 labs and 2 floors.", rewritten: "ITRI has 2 labs!"), ["2"])
        XCTAssertEqual(ToneFacts.missing(original: "Backed by a fund, ITRI grew.", rewritten: "A fund backed ITRI, and it grew."), [])
    }

    func testElderUsesCalmConnectives() {
        let out = Self.streamed("ITRI has many labs. But it also runs a museum. Plus, the museum is free!", .elder, Self.context(.english))
        XCTAssertTrue(out.contains("However, it also runs a museum.") && out.contains("In addition, the museum is free."), out)
    }

    func testProfessionalSetsListsAsLines() {
        let out = ToneRewriter.convert("Projects include solar cells, hydrogen and fuel cells, lithium battery safety and energy storage.", index: 1,
                                       isFinal: false, category: .professional, context: Self.context(.english))
        XCTAssertEqual(out, "\nProjects include:\n- solar cells\n- hydrogen and fuel cells\n- lithium battery safety\n- energy storage")
        let zh = ToneRewriter.convert("核心技術例如人工智慧、半導體、通訊與新材料。", index: 1, isFinal: false, category: .professional,
                                      context: Self.context(.traditionalChinese))
        XCTAssertEqual(zh, "\n核心技術例如：\n- 人工智慧\n- 半導體\n- 通訊與新材料")
        // Prose stays prose.
        let prose = ToneRewriter.convert("ITRI works with universities, companies and the government.", index: 1, isFinal: false,
                                         category: .professional, context: Self.context(.english))
        XCTAssertFalse(prose.contains("- "), prose)
    }
}
