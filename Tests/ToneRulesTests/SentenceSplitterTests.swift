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

    /// `split` takes a scalar path for plain text (`PlainText`); it must decide exactly as the
    /// streaming splitter (Characters) does, plain or not.
    func testWholeTextSplitDecidesAsTheStreamingSplitter() {
        let texts = [
            "J. Smith met Dr. Chen at 9 a.m. Then they left.", "Mr. A. B. Lin, Inc. and Co. Ltd. moved. Next one.",
            "Wait... really?! Yes.", "Done.」Next.", "他說「歡迎光臨。」然後離開了。", "工研院成立於1973年。位於新竹！（真的）好。", "ITRI.工研院在新竹。",
            "line one\nline two\n\nline three", "Tabs\tand spaces.  Two spaces. ", "Café crème. Naïve résumé! Über.",
            "St. Paul’s “quote.” Then ‘another.’ End", "Ends with an abbreviation: see Fig.", "3.5 billion. 1.2.3 versions.",
            "全形！？混合?!English. 再來；好", "Ｆｕｌｌｗｉｄｔｈ。Ａｂｃ．", "", "   ", ".", "!!!", "…而且…", "U.S. policy. e.g. this.",
            // Not plain: the Character path decides.
            "Windows\r\nline. Next.\r\n", "Cafe\u{301} noir. Next.", "Emoji 👍🏽. Next! 🇹🇼 flag. ", "葛\u{E0100}異體字。好。",
            "兀\u{F900}相容。好。", "Hangul 한국. 안녕.",
        ]
        for text in texts {
            var splitter = SentenceSplitter()
            var streamed = splitter.push(text)
            let rest = splitter.finish()
            if !rest.isEmpty { streamed.append(rest) }
            XCTAssertEqual(SentenceSplitter.split(text), streamed, text.debugDescription)
            // In chunks of any size (a push resumes where the last one stopped scanning), and
            // with one splitter reused after finish().
            let characters = Array(text)
            // (Also where a full-width terminator ends a chunk and the next chunk continues its
            // run: "！" then "？", "。" then "」".)
            for size in [1, 2, 3, 5, 8] {
                var chunked: [String] = []
                for start in stride(from: 0, to: characters.count, by: size) {
                    chunked += splitter.push(String(characters[start..<min(start + size, characters.count)]))
                }
                let tail = splitter.finish()
                if !tail.isEmpty { chunked.append(tail) }
                XCTAssertEqual(chunked, streamed, "\(text.debugDescription) in chunks of \(size)")
            }
        }
    }
}
