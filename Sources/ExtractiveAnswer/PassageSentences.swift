import Foundation
import TonehostText

/// A passage's candidate sentence as the answerer reads it — split, trimmed, filtered, with
/// everything about it that does not depend on the question — computed once per distinct
/// passage text (`PassageSentences`).
final class PreparedSentence {
    /// Position among the passage's sentences (counting the ones set aside).
    let index: Int
    let text: String
    /// Its distinct search terms (stemmed), as ids of the `TermIDs` that prepared it, ascending.
    let terms: [Int32]
    /// The sentence's own language; nil when it has no letters (the passage's is used).
    let language: Language?
    /// What it offers the question kinds (a year, a place, a person, …).
    let features: SentenceFeatures
    /// The text as scalars, for the subject checks.
    let scalars: [Unicode.Scalar]
    /// `text.count`: its length in characters (graphemes).
    let characterCount: Int
    /// Starts with a pronoun ("It …", "它…"): leans on the sentence before it.
    let leansOnPrevious: Bool
    /// `LanguageDetector.detect(text)` is Chinese (the answer's joining and final punctuation).
    let detectedChinese: Bool
    /// Ends with final punctuation (else the answer adds "." / "。").
    let endsWithTerminator: Bool
    /// Every scalar is a character of its own with no other canonical form (`PlainText`):
    /// String equality and character search are byte equality and byte search.
    let plain: Bool

    init(index: Int, text: String, terms: [Int32]) {
        self.index = index
        self.text = text
        self.terms = terms
        let hasLetters = text.unicodeScalars.contains { $0.properties.isAlphabetic }
        language = hasLetters ? LanguageDetector.detect(text) : nil
        features = SentenceFeatures(text)
        scalars = Array(text.unicodeScalars)
        characterCount = text.count
        leansOnPrevious = ExtractiveAnswerer.startsWithPronoun(text)
        detectedChinese = LanguageDetector.detect(text) == .traditionalChinese
        endsWithTerminator = ExtractiveAnswerer.endsWithTerminator(text)
        plain = PlainText.isPlain(text)
    }
}

/// A passage title as the answerer reads it (what the passage is about).
final class PreparedTitle {
    /// `SearchTerms.terms(title)`, distinct, as ids, ascending.
    let terms: [Int32]
    /// The same terms as strings (the subject's modifier check looks up arbitrary bigrams).
    let termSet: Set<String>
    let scalars: [Unicode.Scalar]

    init(_ title: String, ids: TermIDs) {
        let list = SearchTerms.terms(title)
        termSet = Set(list)
        terms = ids.sortedIDs(list)
        scalars = Array(title.unicodeScalars)
    }
}

/// Search terms as small integers, so that a sentence's terms are a sorted array of ids and
/// "does this sentence have that term" is a binary search instead of String hashing. Equal
/// (canonically equivalent) strings get the same id, as they would be one member of a
/// `Set<String>`. Not thread-safe on its own (PassageSentences' lock guards it).
final class TermIDs {
    private var ids: [String: Int32] = [:]

    var count: Int { ids.count }

    func intern(_ term: String) -> Int32 {
        if let id = ids[term] { return id }
        let id = Int32(ids.count)
        ids[term] = id
        return id
    }

    func id(_ term: String) -> Int32? { ids[term] }

    /// The distinct ids of `terms`, ascending.
    func sortedIDs(_ terms: [String]) -> [Int32] {
        var out = terms.map(intern)
        out.sort()
        var unique = 0
        for k in out.indices where k == 0 || out[k] != out[unique - 1] {
            out[unique] = out[k]
            unique += 1
        }
        out.removeLast(out.count - unique)
        return out
    }
}

extension [Int32] {
    /// Binary search in an ascending array.
    @inline(__always)
    func containsSorted(_ id: Int32) -> Bool {
        var lo = 0, hi = count
        while lo < hi {
            let mid = (lo + hi) >> 1
            let v = self[mid]
            if v == id { return true }
            if v < id { lo = mid + 1 } else { hi = mid }
        }
        return false
    }

    /// How many ids two ascending arrays share.
    func sharedCount(_ other: [Int32]) -> Int {
        var i = 0, j = 0, shared = 0
        while i < count && j < other.count {
            let a = self[i], b = other[j]
            if a == b {
                shared += 1
                i += 1
                j += 1
            } else if a < b {
                i += 1
            } else {
                j += 1
            }
        }
        return shared
    }
}

/// The passages' prepared sentences and titles, computed once per distinct text instead of on
/// every question (retrieval hands the same passages back again and again), and the term ids
/// they use. Bounded: past `capacity` passages it starts over (a new knowledge base) with new
/// ids — a call gets its passages and its question's term ids in one locked step, so they
/// always agree. Thread-safe.
final class PassageSentences: @unchecked Sendable {
    static let shared = PassageSentences(capacity: 4096)

    /// A call's view: its passages' sentences and titles, and the ids of the strings it asked
    /// about (nil: no sentence or title of the table has that term).
    struct Lookup {
        var sentences: [[PreparedSentence]]
        var titles: [PreparedTitle]
        var ids: [Int32?]
    }

    /// Keyed by the text's bytes (hashing a String normalizes it first: costly for CJK),
    /// hashed by its length and its first and last 64 bytes.
    private struct Key: Hashable {
        let text: String

        static func == (a: Key, b: Key) -> Bool {
            var x = a.text, y = b.text
            return x.withUTF8 { p in y.withUTF8 { q in p.count == q.count && (p.count == 0 || memcmp(p.baseAddress!, q.baseAddress!, p.count) == 0) } }
        }

        func hash(into hasher: inout Hasher) {
            var t = text
            t.withUTF8 { bytes in
                hasher.combine(bytes.count)
                let raw = UnsafeRawBufferPointer(bytes)
                if raw.count <= 128 {
                    hasher.combine(bytes: raw)
                } else {
                    hasher.combine(bytes: UnsafeRawBufferPointer(rebasing: raw[..<64]))
                    hasher.combine(bytes: UnsafeRawBufferPointer(rebasing: raw[(raw.count - 64)...]))
                }
            }
        }
    }

    private let capacity: Int
    private let lock = NSLock()
    private var ids = TermIDs()
    private var sentences: [Key: [PreparedSentence]] = [:]
    private var titles: [Key: PreparedTitle] = [:]

    init(capacity: Int) { self.capacity = capacity }

    /// The sentences of each passage's content, each passage's title, and the ids of `terms`.
    func lookup(contents: [String], titles wanted: [String], terms: [String]) -> Lookup {
        lock.lock()
        defer { lock.unlock() }
        if sentences.count + contents.count > capacity || titles.count + wanted.count > capacity || ids.count > 1 << 30 {
            ids = TermIDs()
            sentences.removeAll(keepingCapacity: true)
            titles.removeAll(keepingCapacity: true)
        }
        let ids = self.ids
        return Lookup(sentences: Self.cached(contents, in: &sentences) { Self.prepare($0, ids: ids) },
                      titles: Self.cached(wanted, in: &titles) { PreparedTitle($0, ids: ids) },
                      ids: terms.map(ids.id))
    }

    /// Each text's prepared value, from `cache` or made (and kept) by `prepare`.
    private static func cached<Value>(_ texts: [String], in cache: inout [Key: Value], _ prepare: (String) -> Value) -> [Value] {
        texts.map { text in
            let key = Key(text: text)
            if let hit = cache[key] { return hit }
            let prepared = prepare(text)
            cache[key] = prepared
            return prepared
        }
    }

    private static func prepare(_ content: String, ids: TermIDs) -> [PreparedSentence] {
        var out: [PreparedSentence] = []
        for (index, raw) in SentenceSplitter.split(content).enumerated() {
            let text = raw.trimmingWhitespace()
            guard text.count >= 4, !ExtractiveAnswerer.isQuestion(text) else { continue }
            let terms = ids.sortedIDs(SearchTerms.terms(text).map(SearchTerms.stem))
            guard terms.count >= 2 else { continue }
            out.append(PreparedSentence(index: index, text: text, terms: terms))
        }
        return out
    }
}
