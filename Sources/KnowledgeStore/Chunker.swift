import Foundation
import TonehostText

/// Splits long text into passages of about `limit` characters on paragraph, then sentence,
/// then (for a runaway sentence) whitespace boundaries. Limits: ~600 characters for Chinese
/// text, ~900 for Latin text (a CJK character carries roughly 1.5 Latin characters of meaning).
public enum Chunker {
    public static let cjkLimit = 600
    public static let latinLimit = 900

    /// The chunk size for `text`, by its language.
    public static func limit(for text: String) -> Int {
        LanguageDetector.detect(text) == .traditionalChinese ? cjkLimit : latinLimit
    }

    /// `text` as chunks of at most ~`limit` characters (default: by language). Paragraphs
    /// (blank-line separated) are kept whole when they fit and packed together; a long
    /// paragraph is split between sentences. Chunks are trimmed; empty text gives [].
    public static func chunks(_ text: String, limit: Int? = nil) -> [String] {
        let trimmed = text.trimmingWhitespace()
        if trimmed.isEmpty { return [] }
        let length = trimmed.count
        if limit == nil && length <= cjkLimit { return [trimmed] }  // fits either way: skip detection
        let limit = max(50, limit ?? self.limit(for: trimmed))
        if length <= limit { return [trimmed] }

        var pieces: [String] = []
        for paragraph in paragraphs(trimmed) {
            if paragraph.count <= limit {
                pieces.append(paragraph)
                continue
            }
            var sentences: [String] = []
            for sentence in SentenceSplitter.split(paragraph) {
                if sentence.count <= limit { sentences.append(sentence) } else { sentences += hardSplit(sentence, limit: limit) }
            }
            pieces += pack(sentences, limit: limit, joiner: sentenceJoiner)
        }
        var chunks = pack(pieces, limit: limit, joiner: { _, _ in "\n\n" })
        // Fold a tiny tail into its predecessor when that stays near the limit.
        if chunks.count > 1, let last = chunks.last, last.count < limit / 4,
           chunks[chunks.count - 2].count + last.count <= limit + limit / 4 {
            chunks.removeLast()
            chunks[chunks.count - 1] += "\n\n" + last
        }
        return chunks
    }

    /// Blank-line separated blocks, each trimmed, lines inside kept.
    static func paragraphs(_ text: String) -> [String] {
        var out: [String] = []
        var current: [Substring] = []
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            if line.allSatisfy(\.isWhitespace) {
                if !current.isEmpty { out.append(current.joined(separator: "\n").trimmingWhitespace()); current.removeAll() }
            } else {
                current.append(line)
            }
        }
        if !current.isEmpty { out.append(current.joined(separator: "\n").trimmingWhitespace()) }
        return out.filter { !$0.isEmpty }
    }

    /// "" between Chinese sentences, " " between Latin ones.
    static func sentenceJoiner(_ previous: String, _ next: String) -> String {
        if let a = previous.unicodeScalars.last, LanguageDetector.isCJK(a) { return "" }
        if let b = next.unicodeScalars.first, LanguageDetector.isCJK(b), previous.last.map({ !$0.isLetter && !$0.isNumber }) ?? true {
            return ""
        }
        return " "
    }

    /// Greedily packs units into chunks of at most `limit` characters.
    static func pack(_ units: [String], limit: Int, joiner: (String, String) -> String) -> [String] {
        var out: [String] = []
        var current = ""
        var currentCount = 0
        for unit in units {
            let n = unit.count
            if currentCount == 0 {
                current = unit
                currentCount = n
                continue
            }
            let sep = joiner(current, unit)
            if currentCount + sep.count + n <= limit {
                current += sep + unit
                currentCount += sep.count + n
            } else {
                out.append(current)
                current = unit
                currentCount = n
            }
        }
        if currentCount > 0 { out.append(current) }
        return out
    }

    /// Cuts an over-long sentence at whitespace (or anywhere, for unbroken CJK) near `limit`.
    static func hardSplit(_ sentence: String, limit: Int) -> [String] {
        var out: [String] = []
        var rest = Substring(sentence)
        while rest.count > limit {
            let window = rest.prefix(limit)
            var cut = window.endIndex
            if let space = window.lastIndex(where: \.isWhitespace), window.distance(from: window.startIndex, to: space) > limit / 2 {
                cut = space
            }
            let piece = String(rest[rest.startIndex..<cut]).trimmingWhitespace()
            if !piece.isEmpty { out.append(piece) }
            rest = rest[cut...]
        }
        let tail = String(rest).trimmingWhitespace()
        if !tail.isEmpty { out.append(tail) }
        return out
    }
}
