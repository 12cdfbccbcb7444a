import TonehostText

/// The professional tone sets an enumeration out as lines, one item per line:
/// "Projects include solar cells, hydrogen and fuel cells, lithium battery safety and energy storage."
/// → "Projects include:\n- solar cells\n- hydrogen and fuel cells\n- lithium battery safety\n- energy storage";
/// 「核心技術，例如人工智慧、半導體、通訊與新材料。」 → 「核心技術，例如：\n- 人工智慧\n- 半導體\n- 通訊與新材料」.
/// Only a plain list of three or more short items at the end of the sentence; anything else stays prose.
enum StructuredList {
    static let englishTriggers = [": ", " include ", " includes ", " including ", " such as "]
    static let chineseTriggers = ["包括", "包含", "例如", "涵蓋", "："]

    static func english(_ sentence: String) -> String {
        guard sentence.hasSuffix("."), !sentence.contains(";"), !sentence.contains("("), !sentence.contains("\n") else { return sentence }
        let body = String(sentence.dropLast())
        var found: (word: String, range: Range<String.Index>)?
        for t in englishTriggers where ByteSearch.contains(body, t) {
            if let r = body.range(of: t), found == nil || r.lowerBound < found!.range.lowerBound { found = (t, r) }
        }
        guard let trigger = found else { return sentence }
        let lead = String(body[body.startIndex..<trigger.range.lowerBound]).trimmingWhitespace()
        let rest = String(body[trigger.range.upperBound...])
        guard TextEdit.wordCount(lead) >= 1, !rest.contains(":") else { return sentence }
        var items = rest.components(separatedBy: ", ").map { $0.trimmingWhitespace() }
        guard items.count >= 2, var last = items.popLast() else { return sentence }
        if last.hasPrefix("and ") {
            last = String(last.dropFirst(4))
            items.append(last)
        } else if let and = last.range(of: " and ", options: .backwards) {
            items.append(String(last[..<and.lowerBound]))
            items.append(String(last[and.upperBound...]))
        } else {
            return sentence
        }
        guard items.count >= 3, items.allSatisfy({ !$0.isEmpty && TextEdit.wordCount($0) <= 6 && !$0.contains(" which ") && !$0.contains(" that ") })
        else { return sentence }
        let head = trigger.word == ": " ? lead : lead + " " + trigger.word.trimmingWhitespace()
        return head + ":" + items.map { "\n- " + $0 }.joined()
    }

    static func chinese(_ sentence: String) -> String {
        let p = ChineseStyle.parts(sentence)
        guard p.closers.isEmpty, p.terminal == "。" || p.terminal.isEmpty, !p.body.contains("\n") else { return sentence }
        guard let r = chineseTriggers.filter({ ByteSearch.contains(p.body, $0) }).compactMap({ p.body.range(of: $0, options: .backwards) })
                  .max(by: { $0.lowerBound < $1.lowerBound })
        else { return sentence }
        var rest = String(p.body[r.upperBound...])
        if rest.hasPrefix("：") { rest.removeFirst() }
        guard !rest.contains("，"), !rest.contains("；"), !rest.contains("（"), !rest.contains("「") else { return sentence }
        let items = rest.components(separatedBy: "、")
        guard items.count >= 3, items.allSatisfy({ !$0.isEmpty && $0.count <= 12 }) else { return sentence }
        let lead = String(p.body[..<r.upperBound])
        return (lead.hasSuffix("：") ? lead : lead + "：") + items.map { "\n- " + $0 }.joined()
    }
}
