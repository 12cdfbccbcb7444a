import TonehostText

/// Query-side term extraction: `SearchTerms.terms(_, forQuery: true)`, de-duplicated, minus
/// Chinese question-word bigrams that `SearchTerms` keeps because only one of their two
/// characters is a function character ("哪裡", "請問", "多少").
enum QueryTerms {
    static let questionBigrams: Set<String> = [
        "哪裡", "哪裏", "哪里", "哪些", "是否", "請問", "請告", "告訴", "知道", "一下", "可以", "多少",
        "什么", "怎么", "哪兒", "甚麼", "嗎？",
    ]

    static func terms(_ query: String) -> [String] {
        var seen = Set<String>()
        var out: [String] = []
        for term in SearchTerms.terms(query, forQuery: true) where !questionBigrams.contains(term) {
            if seen.insert(term).inserted { out.append(term) }
        }
        return out
    }
}
