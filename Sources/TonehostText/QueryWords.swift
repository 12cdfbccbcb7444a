import Foundation

extension SearchTerms {
    /// Chinese question words that `terms` keeps (one of their characters is not a function
    /// character) but that never carry the topic.
    public static let questionBigrams: Set<String> = [
        "哪裡", "哪裏", "哪里", "哪些", "是否", "請問", "請告", "告訴", "知道", "一下", "可以", "多少",
        "什么", "怎么", "哪兒", "甚麼",
    ]

    /// Requests for an answer language ("in English", "用中文") say nothing about the topic.
    public static let languageRequests = ["in traditional chinese", "in english", "in chinese", "in mandarin", "英文", "英語", "中文", "華語", "國語"]

    /// The question without its language request, for matching by topic. Each request (any
    /// ASCII letter case) becomes a space; works on UTF-8 bytes (runs for every question).
    public static func withoutLanguageRequests(_ question: String) -> String {
        var bytes = Array(question.utf8)
        var changed = false
        for phrase in languageRequestBytes where bytes.count >= phrase.count {
            var i = 0
            while i + phrase.count <= bytes.count {
                var match = true
                for k in 0..<phrase.count {
                    var b = bytes[i + k]
                    if b >= 0x41 && b <= 0x5A { b |= 0x20 }
                    if b != phrase[k] { match = false; break }
                }
                if match {
                    bytes.replaceSubrange(i..<(i + phrase.count), with: [0x20])
                    changed = true
                    i = max(0, i - phrase.count)  // the space may complete another occurrence
                } else {
                    i += 1
                }
            }
        }
        return changed ? String(decoding: bytes, as: UTF8.self) : question
    }

    private static let languageRequestBytes: [[UInt8]] = languageRequests.map { Array($0.utf8) }
}
