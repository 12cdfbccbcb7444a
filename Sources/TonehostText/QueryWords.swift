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

    /// The question without its language request, for matching by topic.
    public static func withoutLanguageRequests(_ question: String) -> String {
        var q = question
        for phrase in languageRequests {
            while let range = q.range(of: phrase, options: .caseInsensitive) { q.replaceSubrange(range, with: " ") }
        }
        return q
    }
}
