import TonehostText
import XCTest

/// The streaming sentence splitter that tone conversion and the extractive answerer rely on.
final class SentenceSplitterTests: XCTestCase {
    func testEnglishWithAbbreviationsTimesAndDecimals() {
        XCTAssertEqual(SentenceSplitter.split("The hall opens at 9 a.m. and closes at 5 p.m. on weekdays. Book ahead, e.g. online!"),
                       ["The hall opens at 9 a.m. and closes at 5 p.m. on weekdays.", "Book ahead, e.g. online!"])
        XCTAssertEqual(SentenceSplitter.split("It is at 195 Chung Hsing Rd. Sec. 4 in Chutung. Budget: 3.5 billion."),
                       ["It is at 195 Chung Hsing Rd. Sec. 4 in Chutung.", "Budget: 3.5 billion."])
    }

    func testChinesePunctuation() {
        XCTAssertEqual(SentenceSplitter.split("工研院成立於1973年。位於新竹！你想去嗎？好；走吧"),
                       ["工研院成立於1973年。", "位於新竹！", "你想去嗎？", "好；", "走吧"])
        XCTAssertEqual(SentenceSplitter.split("他說「歡迎光臨。」然後離開了。"), ["他說「歡迎光臨。」", "然後離開了。"])
    }

    func testStreamingGivesTheSameSentencesAsWholeText() {
        let text = "ITRI was founded in 1973. It is in Hsinchu. 工研院很大。TSMC spun off in 1987!"
        var splitter = SentenceSplitter()
        var streamed: [String] = []
        for ch in text { streamed += splitter.push(String(ch)) }
        let rest = splitter.finish()
        if !rest.isEmpty { streamed.append(rest) }
        XCTAssertEqual(streamed, SentenceSplitter.split(text))
        XCTAssertEqual(streamed.count, 4)
    }
}
