/// The lines a tone adds around an answer: greeting, opener, appearance mention, closing.
enum Greeting {
    /// First message of a session: a greeting that mentions the visitor's appearance when known.
    static func greeting(_ category: ToneCategory, appearance: Appearance?, chinese: Bool) -> String {
        let phrase = appearance?.phrase
        let item = appearance?.item
        if chinese {
            switch category {
            case .child:
                return phrase.map { "嗨，\($0)的小朋友，你好啊！（揮手）" } ?? "嗨，小朋友，你好啊！（揮手）"
            case .elder:
                return phrase.map { "您好，歡迎您。很高興見到\($0)的您。" } ?? "您好，歡迎您。很高興為您服務。"
            case .professional:
                return phrase.map { "您好，歡迎\($0)的貴賓。" } ?? "您好。"
            case .casual:
                if let item { return "嗨！你的\(item)好好看喔！" }
                return phrase.map { "嗨，\($0)的朋友，你好！" } ?? "嗨！很高興見到你！"
            }
        }
        switch category {
        case .child:
            return phrase.map { "Hi there, little friend \($0)! (waves)" } ?? "Hi there, little friend! (waves)"
        case .elder:
            return phrase.map { "Good day, and welcome. It is a pleasure to meet you, honored guest \($0)." }
                ?? "Good day, and welcome. It is a pleasure to meet you."
        case .professional:
            return phrase.map { "Good day, and welcome to our guest \($0)." } ?? "Good day."
        case .casual:
            if let item { return "Hey there! Love the \(item)." }
            return phrase.map { "Hey there, nice to see you \($0)!" } ?? "Hey there!"
        }
    }

    /// A later message, now and then: a brief nod to the visitor's appearance (never professional).
    static func mention(_ category: ToneCategory, appearance: Appearance, chinese: Bool) -> String? {
        let phrase = appearance.phrase
        if chinese {
            switch category {
            case .child: return "\(phrase)的小朋友，聽好囉！"
            case .elder: return "謝謝\(phrase)的您提問。"
            case .professional: return nil
            case .casual: return appearance.item.map { "對了，你的\($0)很好看喔！" } ?? "\(phrase)的朋友，跟你說喔！"
            }
        }
        switch category {
        case .child: return "Hey, little friend \(phrase)! (smiles)"
        case .elder: return "Thank you for your question, honored guest \(phrase)."
        case .professional: return nil
        case .casual: return appearance.item.map { "By the way, love the \($0)!" } ?? "Nice to see you \(phrase)!"
        }
    }

    /// Before a body in the other language (passages only in that language, no model to
    /// translate them): one short line in the visitor's language saying so.
    static func languageNote(_ category: ToneCategory, chinese: Bool) -> String {
        switch (category, chinese) {
        case (.child, false), (.casual, false): return "I only have this in Chinese:"
        case (.elder, false), (.professional, false): return "The information available on this is in Chinese:"
        case (.child, true), (.casual, true): return "這個我只有英文的資料："
        case (.elder, true), (.professional, true): return "這方面目前只有英文資料："
        }
    }

    /// The first words of an answer when there is no greeting.
    static func opener(_ category: ToneCategory, chinese: Bool, dice: Dice) -> String? {
        let options: [String]
        switch (category, chinese) {
        case (.child, false): options = ["Guess what?", "Ooh, what a fun question!", "Let me tell you something cool!"]
        case (.child, true): options = ["小朋友，你知道嗎？", "哇，這個問題問得好棒喔！", "小朋友，告訴你一件有趣的事喔！"]
        case (.elder, false): options = ["Certainly.", "Of course. Let me explain.", "Thank you for your question."]
        case (.elder, true): options = ["好的，請讓我為您說明。", "謝謝您的提問，請聽我慢慢為您說明。"]
        case (.professional, _): return nil
        case (.casual, false): options = ["Sure thing!", "Oh, good question!", "Alright, here goes."]
        case (.casual, true): options = ["好喔，", "嗯，好問題！", "跟你說喔，"]
        }
        return dice.pick(options, "opener")
    }

    /// The end of an answer: child and elder always, professional and casual sometimes.
    static func closing(_ category: ToneCategory, chinese: Bool, dice: Dice) -> String? {
        switch (category, chinese) {
        case (.child, false):
            return dice.pick(["Do you want to know more? (smiles)", "What else would you like to know? (smiles)",
                              "Isn't that cool? Do you have another question for me?"], "closing")
        case (.child, true):
            return dice.pick(["你還想知道什麼呢？（微笑）", "是不是很有趣呢？你還想知道什麼呢？", "還有什麼想問的嗎？我們一起來找答案吧！"], "closing")
        case (.elder, false):
            return dice.pick(["Please take your time. If anything is unclear, I am happy to explain it again.",
                              "Please take your time. You are welcome to ask me anything else."], "closing")
        case (.elder, true):
            return dice.pick(["請您慢慢看，如果有不清楚的地方，我很樂意再為您說明。", "請慢慢來，有任何問題都歡迎您再問我。"], "closing")
        case (.professional, false):
            return dice.oneIn(3, "closing") ? "Further details are available on request." : nil
        case (.professional, true):
            return dice.oneIn(3, "closing") ? "如需進一步資訊，歡迎洽詢。" : nil
        case (.casual, false):
            return dice.oneIn(2, "closing") ? dice.pick(["Hope that helps!", "Anything else you're curious about?", "Hope that helps! (smiles)"], "which") : nil
        case (.casual, true):
            return dice.oneIn(2, "closing") ? dice.pick(["希望有幫到你！", "還有想知道的都可以問我喔！"], "which") : nil
        }
    }
}
