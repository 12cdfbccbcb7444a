import ExtractiveAnswer
import Foundation
import TonehostText
import XCTest

/// The extractive answerer answers the question asked: its subject, its kind (when / where / who /
/// how many / what), through the visitor's chit-chat. The passages are written for these tests in
/// the style of the ITRI corpus; retrieval order is deliberately unhelpful.
final class ExtractiveAnswerTests: XCTestCase {
    private func zh(_ title: String, _ content: String, _ score: Double = 1) -> SourcePassage {
        SourcePassage(title: title, content: content, language: .traditionalChinese, score: score)
    }

    private func answer(_ question: String, _ passages: [SourcePassage]) -> String {
        ExtractiveAnswerer.answer(question: question, language: LanguageDetector.answerLanguage(for: question), passages: passages)
    }

    func testTheFocusDropsChitChatLeadInsPolitenessAndParticles() {
        let cases: [(String, String)] = [
            ("嗯！很厲害。然後…院長是誰啊？", "院長是誰"),
            ("請問一下，工研院是哪一年成立的？", "工研院是哪一年成立的"),
            ("我想要知道工研院的總部在哪裡", "工研院的總部在哪裡"),
            ("欸，你知道工研院在哪裡嗎？", "工研院在哪裡"),
            ("那個…我想問一下，工研院有多少員工？", "工研院有多少員工"),
            ("哇，好酷喔！那工研院的董事長是誰呢？", "工研院的董事長是誰"),
            ("好的謝謝。然後台積電是怎麼從工研院出來的？", "台積電是怎麼從工研院出來的"),
            ("Cool, thanks! So, um, when was ITRI founded?", "when was ITRI founded"),
            ("Hi there, could you please tell me how TSMC came out of ITRI?", "how TSMC came out of ITRI"),
            ("What is ITRI?", "What is ITRI"),
            ("工研院是什麼？ in English", "工研院是什麼"),
            ("好萊塢在哪裡？", "好萊塢在哪裡"),
            ("謝謝！", "謝謝！"),
        ]
        for (utterance, focus) in cases {
            XCTAssertEqual(QuestionFocus.core(utterance), focus, utterance)
        }
    }

    func testTheSubjectOfTheQuestionIsTheSubjectOfTheAnswer() {
        let passages = [
            zh("工研院歐洲辦公室", "工研院歐洲辦公室於1996年在德國柏林成立。該辦公室協助台灣參與歐盟研究計畫。", 3),
            zh("工研院日本辦公室", "工研院日本辦公室於1987年成立，位於東京。", 2),
            zh("工研院概況", "工研院是台灣最大的應用研究機構，成立於1973年。總部位於新竹縣竹東鎮。", 1),
        ]
        for question in ["工研院是哪一年成立的？", "請問一下，工研院是哪一年成立的？"] {
            let a = answer(question, passages)
            XCTAssertTrue(a.contains("1973"), "\(question) → \(a)")
            XCTAssertFalse(a.contains("1987") || a.contains("1996"), "\(question) → \(a)")
        }
        // The office's own founding is still found when the question names the office.
        let office = answer("工研院日本辦公室是哪一年成立的？", passages)
        XCTAssertTrue(office.hasPrefix("工研院日本辦公室於1987年成立"), office)
    }

    func testALeadInDoesNotDrownTheQuestionAndWhoPrefersTheCurrentHolder() {
        let passages = [
            zh("工研院歷任院長 - 王大明", "王大明博士是工研院的首任院長，任期自1973年起。他建立了最早的實驗室制度。", 2),
            zh("工研院院長 - 李小華", "李小華博士於2025年10月接任工研院院長，目前為現任院長。她是微機電系統的專家。", 1),
        ]
        let plain = answer("院長是誰？", passages)
        XCTAssertTrue(plain.contains("李小華"), plain)
        for question in ["嗯！很厲害。然後…院長是誰啊？", "那個…請問院長是誰呢？"] {
            XCTAssertEqual(answer(question, passages), plain, question)
        }
    }

    func testTheKindOfQuestionSteersTheSentence() {
        let passages = [
            zh("工研院南分院", "工研院南分院以雷射加工與綠色製程研發為主。南分院位於臺南市六甲區工研路8號。", 2),
            zh("工研院人員", "工研院擁有超過六千名研發人員。研究人員多半具有碩士或博士學位。", 1.5),
            zh("工研院研究領域總覽", "工研院的主要研究領域包括半導體、資通訊、人工智慧、綠能與生醫。各研究所分工合作。", 1),
            zh("工研院歷任院長 - 陳志遠", "陳志遠博士擔任工研院院長期間，推動生技與能源領域的研究。他也重視國際合作。", 3),
        ]
        let place = answer("南分院在哪裡？", passages)
        XCTAssertTrue(place.contains("工研路8號"), place)
        let count = answer("工研院有多少研發人員？", passages)
        XCTAssertTrue(count.contains("六千名"), count)
        let areas = answer("工研院有哪些主要的研究領域？", passages)
        XCTAssertTrue(areas.hasPrefix("工研院的主要研究領域包括半導體"), areas)
        XCTAssertFalse(areas.contains("陳志遠"), areas)
    }

    func testAParaphrasedPredicateFindsTheFoundingNotTheNamesakes() {
        let passages = [
            zh("第14屆工研院院士 (2025年)", "2025年第14屆工研院院士包括台積電的資深副總與中鼎集團的總裁。", 2),
            zh("台積電的誕生", "1987年，工研院衍生成立台灣積體電路製造公司（台積電），首創晶圓代工模式。張忠謀擔任董事長。", 1),
        ]
        for question in ["台積電是怎麼從工研院誕生的？", "好的謝謝。然後台積電是怎麼從工研院出來的？"] {
            let a = answer(question, passages)
            XCTAssertTrue(a.contains("工研院衍生成立台灣積體電路製造公司"), "\(question) → \(a)")
            XCTAssertFalse(a.contains("院士"), "\(question) → \(a)")
        }
    }

    func testEnglishQuestionsGetADateAPlaceAPersonAndADefinition() {
        let passages = [
            SourcePassage(title: "ITRI campuses", content: "ITRI runs several campuses. Its headquarters is located at 195 Chung Hsing Road in Chutung.", language: .english, score: 2),
            SourcePassage(title: "History", content: "ITRI grew quickly in its first decade. ITRI was founded in 1973 by the government.", language: .english, score: 1.5),
            SourcePassage(title: "STOBA", content: "Many batteries overheat. STOBA is a battery safety material developed by ITRI.", language: .english, score: 1),
        ]
        XCTAssertTrue(answer("Um, so when was ITRI founded?", passages).contains("1973"))
        XCTAssertTrue(answer("Where is ITRI's headquarters?", passages).contains("195 Chung Hsing Road"))
        XCTAssertTrue(answer("What is STOBA?", passages).hasPrefix("STOBA is a battery safety material"))
    }

    func testNoInformationOnlyWhenNoPassageAnswers() {
        let passages = [
            zh("工研院台北辦事處", "工研院台北辦事處位於臺北市和平東路二段106號。負責與中央政府機關聯繫。", 1),
        ]
        for question in ["火星上的天氣如何？", "台北101有多高？"] {
            XCTAssertEqual(answer(question, passages), ExtractiveAnswerer.noInformation(.traditionalChinese), question)
        }
        XCTAssertTrue(answer("嗯嗯，那台北辦事處在哪裡呢？", passages).contains("和平東路二段106號"))
    }
}
