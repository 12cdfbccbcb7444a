/// Where a tone may add a particle (喔、呢、啊), an exclamation mark or an expression tag: never on
/// data. "傳真：+886-3-5820045喔！", "3F呢！", "「台灣半導體之父」啊！" and "www.itri.org.tw!" are
/// mistakes a person would not make. Scans Unicode scalars only (it runs on every sentence).
enum DataGuard {
    /// Whether a Chinese sentence body (its final punctuation removed) may take a particle: it ends
    /// in an ideograph with no digit or Latin letter among its last three characters (numbers,
    /// codes, "195號", "10樓", "1973年"), and holds no phone number, URL, e-mail or "label：value".
    static func allowsParticle(body: String) -> Bool {
        let tail = Array(body.unicodeScalars.suffix(3))
        guard let last = tail.last, isIdeograph(last) else { return false }
        if tail.contains(where: isDigitOrLatin) { return false }
        return !holdsData(body)
    }

    /// Whether an English sentence may end with "!" or take a tag: its last word is no number
    /// (a year is fine: "in 1973!" reads naturally), code, URL or phone number, and the sentence
    /// holds no phone number, URL or e-mail.
    static func allowsExclamation(_ sentence: String) -> Bool {
        var scalars = Array(sentence.unicodeScalars)
        while let l = scalars.last, ".!?\"”’)]".unicodeScalars.contains(l) { scalars.removeLast() }
        var word: [Unicode.Scalar] = []
        while let l = scalars.last, !l.properties.isWhitespace { word.insert(l, at: 0); scalars.removeLast() }
        if word.contains(where: { "/@.:+".unicodeScalars.contains($0) }) { return false }
        let digits = word.filter { (0x30...0x39).contains($0.value) }.count
        if digits > 0 && !(digits == 4 && word.count == 4) { return false }
        return !holdsData(sentence)
    }

    /// A phone number (7+ digits with separators, or "+" and a digit), a URL, an e-mail address,
    /// or a "label：value" line with digits after the colon (電話：…, Fax: …).
    static func holdsData(_ text: String) -> Bool {
        var run = 0
        var previous: Unicode.Scalar = " "
        var prevPrev: Unicode.Scalar = " "
        var sinceColon = Int.max
        for s in text.unicodeScalars {
            let v = s.value
            if sinceColon < Int.max { sinceColon += 1 }
            if (0x30...0x39).contains(v) {
                run += 1
                if run >= 7 || previous == "+" || sinceColon <= 12 { return true }
            } else if s != "-" && s != " " && s != "(" && s != ")" {
                run = 0
            }
            if s == "：" || s == ":" { sinceColon = 0 }
            if s == "/" && previous == "/" && prevPrev == ":" { return true }
            if s == "@" && isDigitOrLatin(previous) { return true }
            if s == "." && previous == "w" && prevPrev == "w" { return true }
            prevPrev = previous
            previous = s
        }
        return false
    }

    static func isIdeograph(_ s: Unicode.Scalar) -> Bool {
        (0x4E00...0x9FFF).contains(s.value) || (0x3400...0x4DBF).contains(s.value) || (0xF900...0xFAFF).contains(s.value)
    }

    static func isDigitOrLatin(_ s: Unicode.Scalar) -> Bool {
        let v = s.value
        return (0x30...0x39).contains(v) || (0x41...0x5A).contains(v) || (0x61...0x7A).contains(v) || (0xFF10...0xFF19).contains(v)
            || (0xFF21...0xFF3A).contains(v) || (0xFF41...0xFF5A).contains(v)
    }
}
