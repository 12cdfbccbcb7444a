import TonehostText

/// Deterministic, rule-based tone conversion (the fallback when no LLM rewrites the answer).
///
/// The four tones differ in every answer:
/// * child_friendly — simple words, short sentences, "!" and "(smiles)", 喔/呢/啊 on Chinese
///   sentences, an opening "Guess what?" and a closing invitation ("Do you want to know more?").
/// * elder_friendly — respectful and calm: 您, "Certainly.", one idea per sentence, abbreviations
///   explained once ("AI (artificial intelligence)"), "Please take your time." at the end.
/// * professional_friendly — no fillers, no contractions, no tags or emoji, one statement per
///   line, now and then "Further details are available on request."
/// * casual_friendly — contractions, "Sure thing!", the odd "Oh, and …", 喔/啦 now and then.
///
/// Facts are never touched: numbers, names, acronyms and Chinese terms pass through verbatim
/// (see ``ToneLexicon`` for the only words the rules change). What a person would not do, no tone
/// does (issue #15): a particle, "!" or tag on data (``DataGuard``), more than one tag per answer
/// (``TagBudget``), a cheerful no-information reply (``NoInformationReply``), an abbreviation
/// explained twice (``Jargon``), a greeting from a cut fragment (``Appearance``), or this
/// language's frame around passages in the other one without saying so (``Greeting/languageNote``).
public enum ToneRewriter {
    /// Rewrites ONE segment of an answer. The host calls it once per sentence while the answer streams
    /// (index 0,1,2…, isFinal false), then once with isFinal true and the remaining text (may be "").
    /// Must be deterministic for the same inputs (use a stable hash of sessionID+index for "sometimes" choices, not random()).
    ///
    /// The outputs of successive calls concatenate directly: a non-first English segment starts
    /// with its separating space (professional: a line break). A segment may hold several
    /// sentences (a whole answer in one final call works too). Two things carry across the
    /// segments of an answer (see ``AnswerMemory``): which segment explained an abbreviation
    /// (elder: once per answer) and which ended in a bare list marker such as "1." (professional:
    /// the item stays on the marker's line). Segment 0 starts afresh; converting a segment again
    /// gives the same text.
    /// `memory`: the answer's AnswerMemory (one per answer, across its segments); nil converts the
    /// segment on its own.
    public static func convert(_ text: String, index: Int, isFinal: Bool, category: ToneCategory, context: ToneContext,
                               memory: AnswerMemory? = nil) -> String {
        let memory = memory ?? AnswerMemory()
        let dice = Dice(context: context, index: index, category: category)
        let chineseAnswer = context.language == .traditionalChinese
        var tags = TagBudget(memory: memory, index: index)
        var pieces: [String] = []

        // A no-information reply (in this segment or an earlier one) is said soberly.
        let noInformation = NoInformationReply.matches(text)
        if noInformation { memory.mark(Marks.noInformation, index: index) }
        let sober = noInformation || memory.isMarked(Marks.noInformation, before: index)

        // Opening: a greeting on the first message, else now and then a word about the visitor's
        // appearance, else a tone-typical opener.
        if index == 0 {
            let appearance = Appearance.from(context.userDescription, language: context.language)
            if context.firstMessage {
                pieces.append(tags.admit(Greeting.greeting(category, appearance: appearance, chinese: chineseAnswer), allowed: !sober))
            } else if !sober, let appearance, category != .professional,
                      Dice.hash("\(context.sessionID)\u{1F}\(context.userMessage)\u{1F}appearance") % 4 == 0,
                      let mention = Greeting.mention(category, appearance: appearance, chinese: chineseAnswer) {
                pieces.append(tags.admit(mention, allowed: true))
            } else if !sober, !text.trimmingWhitespace().isEmpty, let opener = Greeting.opener(category, chinese: chineseAnswer, dice: dice) {
                pieces.append(opener)
            }
            // Passages in the other language and no model to translate them: say so, briefly,
            // in the visitor's language instead of wrapping a foreign body in this one's frame.
            if TextEdit.hasContent(text), !noInformation, LanguageDetector.detect(text) != context.language {
                pieces.append(Greeting.languageNote(category, chinese: chineseAnswer))
            }
        }

        let sentences = convertSentences(text, index: index, category: category, context: context, dice: dice, memory: memory,
                                         sober: sober, tags: &tags)
        pieces += sentences

        let closing = sober ? NoInformationReply.closing(category, chinese: chineseAnswer) : Greeting.closing(category, chinese: chineseAnswer, dice: dice)
        if isFinal, let closing {
            // A closing line after an unfinished last sentence ("The answer is 42") needs a full stop.
            if let last = pieces.last, let end = last.last, end.isLetter || end.isNumber {
                pieces[pieces.count - 1] = last + (TextEdit.isCJK(end) ? "。" : ".")
            }
            pieces.append(tags.admit(closing, allowed: !sober))
        }

        let body = join(pieces, category: category)
        if category == .professional {
            memory.setMarker(index: index, sentences.last.map(isListMarker) ?? false)
        }
        let previous = index > 0 ? memory.lastEnding(before: index) : nil
        memory.setEnding(index: index, body.last)
        guard index > 0, let first = body.first else { return body }
        if category == .professional {
            let afterMarker = memory.isMarker(index: index - 1)
            if startsLine(body) && !afterMarker { return "\n" + body }
            return TextEdit.isCJK(first) && !afterMarker ? body : " " + body
        }
        if let previous { return needsSpace(after: previous, before: first) ? " " + body : body }
        let englishStart = !TextEdit.isCJK(first) && (context.language == .english || LanguageDetector.detect(body) == .english)
        return englishStart ? " " + body : body
    }

    /// Between two segments: a space after English text before more English text, and after an
    /// English sentence's final punctuation before Chinese ("… industry. 你還想…"); none after Chinese.
    static func needsSpace(after previous: Character, before first: Character) -> Bool {
        if TextEdit.isCJK(previous) || first.isWhitespace || previous.isWhitespace { return false }
        if !TextEdit.isCJK(first) { return true }
        return ".!?:;".contains(previous)
    }

    /// Keys of ``AnswerMemory`` marks.
    enum Marks {
        static let noInformation = "\u{1}no-information"
        static let tag = "\u{1}tag"
    }

    /// One expression tag ("(smiles)", "（揮手）") per answer: a person does not keep smiling in
    /// brackets. The first piece that carries one keeps it; later tags are removed.
    struct TagBudget {
        let memory: AnswerMemory
        let index: Int
        var used = false

        init(memory: AnswerMemory, index: Int) {
            self.memory = memory
            self.index = index
            used = memory.isMarked(Marks.tag, before: index)
        }

        /// `piece` with its tag when the budget allows (and `allowed`), else without it.
        mutating func admit(_ piece: String, allowed: Bool) -> String {
            // Most pieces have no bracket at all: skip the regular expression.
            guard piece.utf8.contains(0x28) || ByteSearch.contains(piece, "（") else { return piece }
            let stripped = EnglishStyle.tags.apply(piece)
            guard stripped != piece else { return piece }
            if allowed && !used {
                used = true
                memory.mark(Marks.tag, index: index)
                return piece
            }
            return TextEdit.tidy(stripped, wasCapitalised: false)
        }
    }

    // MARK: Sentences

    static func convertSentences(_ text: String, index: Int, category: ToneCategory, context: ToneContext, dice: Dice,
                                 memory: AnswerMemory, sober: Bool, tags: inout TagBudget) -> [String] {
        let sentences = SentenceSplitter.split(text)
        guard !sentences.isEmpty else { return [] }
        var explained = Set<String>()
        let claim: (String) -> Bool = { term in
            guard !explained.contains(term) else { return false }
            explained.insert(term)
            return memory.claim(term: term, index: index)
        }
        // An abbreviation the segment spells out anywhere needs no explanation in this answer.
        if category == .elder {
            for sentence in sentences { Jargon.claimSpelledOut(sentence, claim: claim) }
        }
        let chineseAnswer = context.language == .traditionalChinese

        var out: [String] = []
        for (ordinal, sentence) in sentences.enumerated() {
            // Markers and fragments ("1.", "-") pass through untouched.
            guard sentence.filter({ $0.isLetter }).count >= 2 else { out.append(sentence); continue }
            let chinese = isChineseSentence(sentence)
            // A sentence in the other language than the answer's is quoted as it is: no particles
            // or tags of this language around it.
            if chinese != chineseAnswer && category != .professional { out.append(sentence); continue }
            if NoInformationReply.matches(sentence) {
                out += NoInformationReply.reply(sentence, category: category, chinese: chinese)
                continue
            }
            var converted: [String]
            switch (category, chinese) {
            case (.child, false): converted = EnglishStyle.child(sentence, dice: dice, ordinal: ordinal)
            case (.child, true): converted = ChineseStyle.child(sentence, dice: dice, ordinal: ordinal)
            case (.elder, false): converted = EnglishStyle.elder(sentence).map { Jargon.expand($0, chinese: false, claim: claim) }
            case (.elder, true): converted = ChineseStyle.elder(sentence).map { Jargon.expand($0, chinese: true, claim: claim) }
            case (.professional, false): converted = [EnglishStyle.professional(sentence)]
            case (.professional, true): converted = [ChineseStyle.professional(sentence)]
            case (.casual, false):
                converted = [EnglishStyle.casual(sentence, dice: dice, ordinal: ordinal, first: index == 0 && ordinal == 0)]
            case (.casual, true): converted = [ChineseStyle.casual(sentence, dice: dice, ordinal: ordinal)]
            }
            converted = converted.map { tags.admit($0.trimmingWhitespace(), allowed: !sober) }.filter { !$0.isEmpty }
            // A rule must never leave less than a sentence: fall back to the original — unless
            // the sentence was only expression tags or emoji, which the professional tone drops.
            if !converted.contains(where: TextEdit.hasContent) {
                let onlyDecoration = !TextEdit.hasContent(EnglishStyle.removeEmoji(EnglishStyle.tags.apply(sentence)))
                converted = category == .professional && onlyDecoration ? [] : [sentence]
            }
            out += converted
        }
        return out
    }

    /// A sentence takes the Chinese rules when it ends like Chinese: a full-width terminator, or
    /// an ideograph as its last letter ("工研院很棒!"). "ITRI (工研院) is in Hsinchu." is English.
    static func isChineseSentence(_ sentence: String) -> Bool {
        let p = ChineseStyle.parts(sentence)
        if p.terminal.contains(where: { "。！？；～".contains($0) }) { return true }
        guard let last = p.body.last(where: { $0.isLetter }) else { return TextEdit.isCJK(p.body.last ?? " ") }
        return last.unicodeScalars.first.map(LanguageDetector.isIdeograph) ?? false
    }

    // MARK: Joining

    /// Joins pieces of one segment: a space between English sentences, nothing after Chinese
    /// punctuation or before a Chinese sentence; the professional tone puts each statement on
    /// its own line (a list marker keeps its item on its line).
    static func join(_ pieces: [String], category: ToneCategory) -> String {
        var out = ""
        var previous: String?
        for piece in pieces where !piece.isEmpty {
            if let prev = previous, let last = out.last, let first = piece.first {
                if category == .professional && startsLine(piece) && !isListMarker(prev) {
                    out += "\n"
                } else if !TextEdit.isCJK(last) && (!TextEdit.isCJK(first) || ".!?:".contains(last)) {
                    out += " "
                }
            }
            out += piece
            previous = piece
        }
        return out
    }

    /// Whether the professional tone may start a line with this text: not a continuation cut off
    /// by an abbreviation ("… 9 a.m." + "to 5 p.m.", "Sec." + "4, Chung Hsing Rd."), and nothing that could be mistaken for the
    /// stream's own framing lines.
    static func startsLine(_ text: String) -> Bool {
        if let f = text.first, f.isLowercase || (f.isNumber && !isChineseSentence(text)) { return false }
        return !text.hasPrefix("ERROR") && !text.contains("END_FLAG")
    }

    /// "1." "2)" "-" "•" "一、": a list marker that the sentence splitter cut off from its item.
    static func isListMarker(_ s: String) -> Bool {
        let t = s.trimmingWhitespace()
        if ["-", "*", "•", "·"].contains(t) { return true }
        if let last = t.last, ".)、）".contains(last) {
            let head = t.dropLast()
            return !head.isEmpty && head.count <= 3 && head.allSatisfy { $0.isNumber || "一二三四五六七八九十".contains($0) }
        }
        return false
    }
}
