/// Text in which a Character is a Unicode scalar: every scalar is a grapheme of its own (no
/// combining marks, joiners, variation selectors, "\r" of a "\r\n", regional indicators, jamo)
/// and is its own only canonical form (already NFC; no compatibility ideographs, no singleton
/// decompositions such as U+2126 OHM SIGN). In plain text, Character iteration and comparison
/// are scalar iteration and comparison, and String equality is byte equality — hot paths use
/// that to skip grapheme breaking and normalization. A conservative list: ASCII, Latin-1 and
/// Latin Extended-A, general punctuation, CJK punctuation, the CJK unified ideographs and the
/// full-width forms; anything else (text that merely might not be plain) takes the general path.
public enum PlainText {
    @inlinable
    public static func isPlain(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x00...0x0C, 0x0E...0x7F: return true  // ASCII but "\r" ("\r\n" is one Character)
        case 0xA0...0xAC, 0xAE...0x17F: return true  // Latin-1, Latin Extended-A (U+00AD soft hyphen aside)
        case 0x2010...0x2027, 0x2030...0x205E: return true  // dashes, quotes, bullets, ‰, ※, …
        case 0x3000...0x3029, 0x3030...0x303F: return true  // CJK punctuation (U+302A…302F are marks)
        case 0x3400...0x4DBF, 0x4E00...0x9FFF: return true  // CJK unified ideographs (extension A, base)
        case 0x20000...0x2A6DF, 0x2A700...0x2EBEF, 0x30000...0x3134F: return true  // extensions B…H
        case 0xFF01...0xFF65: return true  // full-width ASCII, half-width CJK punctuation
        default: return false
        }
    }

    public static func isPlain(_ text: String) -> Bool {
        text.unicodeScalars.allSatisfy(isPlain)
    }
}
