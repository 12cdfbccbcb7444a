import Foundation
import TonehostText

/// Sentence-level rules for Chinese. Every ideograph of the input is kept in order; the rules
/// only append particles, swap the pronoun 你/您, drop a few fillers and change punctuation.
enum ChineseStyle {
    static let particles = Set(ToneLexicon.chineseParticles)
    static let closers: Set<Character> = ["」", "』", "）", ")", "\"", "”", "’", "】", "》"]
    static let terminators: Set<Character> = ["。", "！", "？", "；", "!", "?", ".", "…", "～", "~"]

    /// 你 → 您 (not 你們, which has no polite plural in everyday use).
    static let polite = Rewrite("你(?!們)", "您", protectNames: false)
    static let familiar = Rewrite("您", "你", protectNames: false)
    static let fillers: [Rewrite] = [
        Rewrite("(?<!名副)其實(?!際)[，,]?", "", protectNames: false),
        Rewrite("基本上[，,]?", "", protectNames: false),
        Rewrite("(?<!也)就是說[，,]?", "", protectNames: false),
        Rewrite("(?:說真的|老實說|坦白說)[，,]?", "", protectNames: false),
        Rewrite("^(?:嗯|欸|呃|喔|哦|啊)+[，,]\\s*", "", protectNames: false),
    ]
    /// "…，而且…" → "…。而且…": one idea per sentence.
    static let clauseBreak = Rewrite("[，,](?=(?:而且|並且|此外|同時|另外)[^，。！？；]{4,})", "。", protectNames: false)

    /// Splits "內容喔！」" into ("內容喔", "！", "」").
    static func parts(_ sentence: String) -> (body: String, terminal: String, closers: String) {
        var body = Substring(sentence)
        var close = ""
        while let l = body.last, closers.contains(l) { close.insert(l, at: close.startIndex); body.removeLast() }
        var terminal = ""
        while let l = body.last, terminators.contains(l) { terminal.insert(l, at: terminal.startIndex); body.removeLast() }
        return (String(body), terminal, close)
    }

    static func isQuestion(_ terminal: String) -> Bool { terminal.contains("？") || terminal.contains("?") }

    /// A sentence that is not a statement to decorate: a list lead-in ("如下：") or a quote.
    static func isPlainStatement(_ p: (body: String, terminal: String, closers: String)) -> Bool {
        guard p.closers.isEmpty, let last = p.body.last else { return false }
        return !"：:，,、".contains(last)
    }

    // MARK: Tones

    /// "…，並在1987年…" → "…。並在1987年…": a long sentence cut before a connective (child: short
    /// sentences; elder: one idea per sentence). Both halves keep at least 8 characters.
    static let childBreak = Rewrite("[，,](?=(?:並且|而且|並|此外|同時|另外|也|還|因此|所以)[^，。！？；]{6,})", "。", protectNames: false)

    static func child(_ sentence: String, dice: Dice, ordinal: Int) -> [String] {
        var s = familiar.apply(sentence)
        s = ChineseLexicon.simplify(s)
        var cut = false
        if s.unicodeScalars.count > 30, ByteSearch.contains(s, "，") {
            let broken = childBreak.apply(s)
            cut = broken != s
            s = broken
        }
        guard cut else { return [childSentence(s, dice: dice, ordinal: ordinal * 8)] }
        let pieces = SentenceSplitter.split(s).enumerated().map { k, piece -> String in
            // A cut-off "並主張…" reads better as "而且主張…".
            guard k > 0 else { return piece }
            if piece.hasPrefix("並且") { return "而且" + piece.dropFirst(2) }
            if piece.hasPrefix("並") { return "而且" + piece.dropFirst() }
            return piece
        }
        return pieces.enumerated().map { k, piece in childSentence(piece, dice: dice, ordinal: ordinal * 8 + k) }
    }

    private static func childSentence(_ s: String, dice: Dice, ordinal: Int) -> String {
        let p = parts(s)
        guard isPlainStatement(p), DataGuard.allowsParticle(body: p.body) else { return s }
        if isQuestion(p.terminal) {
            // "…在哪裡？" → "…在哪裡呢？"
            return particles.contains(p.body.last!) || p.body.contains("嗎") ? s : p.body + "呢？"
        }
        var out = p.body
        if !particles.contains(p.body.last!) { out += dice.pick(["喔", "喔", "呢", "呢", "啊"], "particle", ordinal) }
        out += "！"
        if dice.oneIn(4, "tag", ordinal) { out += "（微笑）" }
        return out
    }

    static func elder(_ sentence: String) -> [String] {
        let s = polite.apply(sentence)
        let broken = clauseBreak.apply(s)
        let calm = broken.replacingOccurrences(of: "！", with: "。").replacingOccurrences(of: "!", with: "。")
        return broken == s ? [calm] : SentenceSplitter.split(calm)
    }

    static func professional(_ sentence: String) -> String {
        var s = EnglishStyle.tags.apply(sentence)
        s = EnglishStyle.removeEmoji(s)
        s = fillers.apply(s)
        s = polite.apply(s)
        var p = parts(s)
        guard p.closers.isEmpty else { return s }
        if !isQuestion(p.terminal) {
            // Formal statements end with 。 and carry no chatty particle.
            while let l = p.body.last, "喔啦呢耶呀唷哦啊".contains(l) { p.body.removeLast() }
            if p.terminal.contains("！") || p.terminal.contains("!") || p.terminal.contains("～") || p.terminal.contains("~") {
                p.terminal = "。"
            }
        }
        return StructuredList.chinese(p.body + p.terminal)
    }

    static func casual(_ sentence: String, dice: Dice, ordinal: Int) -> String {
        let s = familiar.apply(sentence)
        let p = parts(s)
        guard isPlainStatement(p), !isQuestion(p.terminal), DataGuard.allowsParticle(body: p.body) else { return s }
        if !particles.contains(p.body.last!), dice.oneIn(3, "particle", ordinal) {
            let particle = dice.pick(["喔", "喔", "啦"], "which", ordinal)
            return p.body + particle + (p.terminal.isEmpty ? "。" : p.terminal)
        }
        if dice.oneIn(6, "tag", ordinal) { return s + "（笑）" }
        return s
    }
}
