import Foundation
import TonehostText

/// The store's terms: `SearchTerms` (lower-cased English words with plurals folded, CJK
/// character bigrams) plus a light English stemmer, applied alike when indexing and querying
/// so both sides always agree.
enum Terms {
    /// Terms of a title or passage, as indexed.
    static func index(_ text: String) -> [String] {
        SearchTerms.terms(text).map(SearchTerms.stem)
    }

    /// Query terms: `SearchTerms.terms(_, forQuery: true)` stemmed and de-duplicated, minus
    /// Chinese question-word bigrams that `SearchTerms` keeps because only one of their two
    /// characters is a function character ("哪裡", "請問", "多少"), and minus answer-language
    /// requests ("in English", "用中文").
    static func query(_ query: String) -> [String] {
        var seen = Set<String>()
        var out: [String] = []
        for raw in SearchTerms.terms(withoutLanguageRequests(query), forQuery: true) where !questionBigrams.contains(raw) {
            let term = SearchTerms.stem(raw)
            if seen.insert(term).inserted { out.append(term) }
        }
        return out
    }

    static var questionBigrams: Set<String> { SearchTerms.questionBigrams }

    static func withoutLanguageRequests(_ question: String) -> String { SearchTerms.withoutLanguageRequests(question) }

    /// "What is ITRI?", "工研院是什麼？", "介紹工研院": questions asking for an overview.
    static func asksForOverview(_ query: String) -> Bool {
        let q = String(ByteSearch.asciiLowercased(query).drop { $0 == " " || $0 == "\t" })
        let english = ["what is ", "what's ", "what are ", "who is ", "who are ", "tell me about ", "introduce ", "describe "]
        let chinese = ["是什麼", "是甚麼", "是什么", "是誰", "介紹", "簡介", "是啥"]
        return english.contains { q.utf8.starts(with: $0.utf8) } || chinese.contains { ByteSearch.contains(q, $0) }
    }

    /// Title words of an overview passage.
    static let overviewTitleWords = ["about", "overview", "introduction", "intro", "at a glance", "簡介", "介紹", "概要", "概述", "關於", "總覽"]

    static func isOverviewTitle(_ title: String) -> Bool {
        let t = title.lowercased()
        return overviewTitleWords.contains { word in
            guard let range = t.range(of: word) else { return false }
            // Whole English words only ("about" but not "roundabout").
            if word.first!.isASCII {
                let before = range.lowerBound == t.startIndex ? nil : t[t.index(before: range.lowerBound)]
                let after = range.upperBound == t.endIndex ? nil : t[range.upperBound]
                return !(before?.isLetter ?? false) && !(after?.isLetter ?? false)
            }
            return true
        }
    }
}
