import Foundation
import TonehostText

/// The answer that says there is nothing to say ("I don't have information about that.",
/// 「目前資料庫中沒有相關資料。」) or that something went wrong. A person does not say it with a
/// smile: each tone gives it a sober form — no tag, no particle, no "!", no "Isn't that cool?"
/// — and a plain offer to help with something else instead of the cheerful closing.
enum NoInformationReply {
    private static let pattern = try! NSRegularExpression(pattern: """
        (?i)(?:\\b(?:don['’]t|do not|cannot|can['’]t|could not|couldn['’]t) (?:have|find) (?:any )?(?:relevant )?(?:information|details|data)\\b\
        |\\bno (?:relevant )?information\\b|\\bunable to (?:find|answer)\\b|\\bsomething went wrong\\b\
        |沒有(?:相關|這方面)的?(?:資料|資訊)|查無相關|找不到相關|無法回答|發生錯誤)
        """)

    private static let cues = ["information", "沒有", "find", "data", "details", "無法", "錯誤", "unable", "wrong", "查無"]

    /// Whether a sentence is (part of) a no-information or error-like reply.
    static func matches(_ sentence: String) -> Bool {
        // Cheap test first: the phrases all hold one of these.
        guard cues.contains(where: { ByteSearch.contains(sentence, $0) }) else { return false }
        let ns = sentence as NSString
        return pattern.firstMatch(in: sentence, range: NSRange(location: 0, length: ns.length)) != nil
    }

    /// The sentence in the tone's sober form: an apology in front where the tone is personal,
    /// the sentence itself kept (the elder and professional tones expand its contractions).
    static func reply(_ sentence: String, category: ToneCategory, chinese: Bool) -> [String] {
        let calmed = chinese ? calmChinese(sentence) : EnglishStyle.calm(sentence)
        switch (category, chinese) {
        case (.child, false): return ["I'm sorry.", calmed]
        case (.child, true): return ["對不起，" + calmed]
        case (.elder, false): return ["I am sorry.", EnglishStyle.expand.apply(calmed)]
        case (.elder, true): return ["很抱歉，" + ChineseStyle.polite.apply(calmed)]
        case (.professional, false): return [EnglishStyle.expand.apply(calmed)]
        case (.professional, true): return [calmed]
        case (.casual, false): return ["Sorry about that.", calmed]
        case (.casual, true): return ["抱歉，" + calmed]
        }
    }

    /// Instead of the tone's closing line after a no-information reply.
    static func closing(_ category: ToneCategory, chinese: Bool) -> String? {
        switch (category, chinese) {
        case (.child, false): return "Would you like to ask me about something else?"
        case (.child, true): return "你想問問別的問題嗎？"
        case (.elder, false): return "You are welcome to ask me about something else."
        case (.elder, true): return "歡迎您改問其他問題。"
        case (.professional, false): return nil
        case (.professional, true): return nil
        case (.casual, false): return "Anything else I can help with?"
        case (.casual, true): return "有其他想問的，可以再問我。"
        }
    }

    /// 「沒有相關資料喔！」 → 「沒有相關資料。」
    private static func calmChinese(_ sentence: String) -> String {
        var p = ChineseStyle.parts(sentence)
        while let l = p.body.last, ChineseStyle.particles.contains(l), l != "嗎" { p.body.removeLast() }
        let terminal = ChineseStyle.isQuestion(p.terminal) ? "？" : "。"
        return p.body + terminal + p.closers
    }
}
