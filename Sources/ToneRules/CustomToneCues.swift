/// A tone that is not one of the four built-ins, with the cues that choose it for a visitor (a
/// third party's tone manifest declares them in `[cues]`; the host passes them to the selector).
/// English cues match whole words and phrases, as the built-in ones do; Chinese cues match as
/// substrings. `first`: checked before the built-in rules; otherwise only when none matched.
public struct CustomToneCues: Sendable, Equatable {
    public let category: String
    public let first: Bool
    let english: [[String]]
    let chinese: [String]

    public init(category: String, english: [String], chinese: [String], first: Bool) {
        self.category = category
        self.first = first
        self.english = english.map { RuleToneSelector.tokens($0) }.filter { !$0.isEmpty }
        self.chinese = chinese.filter { !$0.isEmpty }
    }

    /// The first of these cues in the description, if any.
    func match(text: String, words: [String]) -> String? {
        for i in words.indices {
            for cue in english where cue[0] == words[i] && RuleToneSelector.matches(cue, at: i, in: words) {
                return cue.joined(separator: " ")
            }
        }
        return chinese.first { text.contains($0) }
    }
}

extension RuleToneSelector {
    /// Like `select`, with third-party tones: `custom` cues marked `first` are tried before the
    /// built-in rules, the others after them. Only categories in `available` are chosen; nothing
    /// matching → casual_friendly. Returns the matched cue too, for logs.
    public static func choose(_ description: String, available: [String], custom: [CustomToneCues]) -> (category: String, cue: String?) {
        let text = description.trimmingCharacters(in: .whitespacesAndNewlines)
        let casual = ToneCategory.casual.rawValue
        guard !text.isEmpty else { return (casual, nil) }
        let candidates = custom.filter { available.contains($0.category) }
        let words = candidates.isEmpty ? [] : tokens(text)
        for c in candidates where c.first {
            if let cue = c.match(text: text, words: words) { return (c.category, cue) }
        }
        let (builtin, cue) = explain(text)
        if builtin != .casual, available.contains(builtin.rawValue) { return (builtin.rawValue, cue) }
        for c in candidates where !c.first {
            if let cue = c.match(text: text, words: words) { return (c.category, cue) }
        }
        return (casual, nil)
    }
}
