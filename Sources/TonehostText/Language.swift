/// The two answer languages tonehost speaks.
public enum Language: String, Sendable, CaseIterable {
    case english = "en"
    case traditionalChinese = "zh-TW"

    /// Parses "en", "zh-TW" (also "zh", "zh-tw", "zh-Hant"); nil for anything else.
    public init?(tag: String) {
        switch tag.lowercased() {
        case "en", "en-us", "en-gb", "english": self = .english
        case "zh-tw", "zh", "zh-hant", "zh-hant-tw", "traditional chinese": self = .traditionalChinese
        default: return nil
        }
    }
}

public enum LanguageDetector {
    /// True for CJK ideographs, kana, hangul and CJK punctuation / full-width forms.
    @inlinable
    public static func isCJK(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x3400...0x4DBF, 0x4E00...0x9FFF, 0xF900...0xFAFF, 0x20000...0x2EBEF, 0x30000...0x3134F:
            return true
        case 0x3040...0x30FF, 0xAC00...0xD7AF:
            return true
        default:
            return false
        }
    }

    /// True for a CJK ideograph (a character that carries meaning in Chinese text).
    @inlinable
    public static func isIdeograph(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x3400...0x4DBF, 0x4E00...0x9FFF, 0xF900...0xFAFF, 0x20000...0x2EBEF, 0x30000...0x3134F:
            return true
        default:
            return false
        }
    }

    public static func containsCJK(_ text: String) -> Bool {
        text.unicodeScalars.contains(where: isCJK)
    }

    /// The language of a passage or question: Traditional Chinese when ideographs make up a
    /// noticeable share of the letters, else English.
    public static func detect(_ text: String) -> Language {
        var ideographs = 0
        var latin = 0
        for s in text.unicodeScalars {
            let v = s.value
            if v < 0x80 {
                if (v >= 0x61 && v <= 0x7A) || (v >= 0x41 && v <= 0x5A) { latin += 1 }
            } else if isIdeograph(s) {
                ideographs += 1
            } else if s.properties.isAlphabetic {
                latin += 1
            }
        }
        // One ideograph carries roughly as much as a 3-4 letter word.
        return ideographs > 0 && ideographs * 4 >= latin / 2 ? .traditionalChinese : .english
    }

    /// Phrases asking for an answer in English / in Chinese (lower case; ASCII capitals match),
    /// as UTF-8 once: `answerLanguage` runs on every question.
    private static let englishRequests = ["in english", "英文", "英語", "用english"].map { Array($0.utf8) }
    private static let chineseRequests = ["in chinese", "in mandarin", "in traditional chinese", "中文", "華語", "國語"].map { Array($0.utf8) }

    /// The language an answer to `question` must be in: zh-TW when the question has CJK
    /// characters, else English — unless the question explicitly asks for the other language.
    public static func answerLanguage(for question: String) -> Language {
        let asksEnglish = ByteSearch.containsAny(question, englishRequests, asciiFolded: true)
        let asksChinese = ByteSearch.containsAny(question, chineseRequests, asciiFolded: true)
        let base: Language = containsCJK(question) ? .traditionalChinese : .english
        switch base {
        case .traditionalChinese where asksEnglish && !asksChinese: return .english
        case .english where asksChinese && !asksEnglish: return .traditionalChinese
        default: return base
        }
    }
}
