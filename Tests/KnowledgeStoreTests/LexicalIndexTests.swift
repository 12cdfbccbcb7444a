import Foundation
import KnowledgeStore
import TonehostText
import TonehostTypes
import XCTest

/// The fast paths of the first lexical stage (FTS5 with pruning, the in-memory postings of the
/// common terms) against the exhaustive ranking (every matching row scored), on a generated base
/// of very common, common and rare English words and Chinese bigrams: any candidate the pruning
/// dropped, or any score that came out differently, fails here.
final class LexicalIndexTests: XCTestCase {
    private var tempDir: URL!

    override func setUpWithError() throws {
        tempDir = URL(fileURLWithPath: NSTemporaryDirectory()).appendingPathComponent("tonehost-lexical-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: tempDir, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: tempDir)
    }

    /// Words by frequency: a few in most passages, some in a tenth, many rare ones.
    private struct Vocabulary {
        var english: [String] = []
        var chinese: [String] = []

        init() {
            var rng = SplitMix64(seed: 42)
            let syllables = ["ka", "lo", "mi", "ren", "tor", "vi", "sel", "an", "qu", "dra", "pen", "zo", "lit", "mar"]
            var seen = Set<String>()
            while english.count < 3000 {
                var w = ""
                for _ in 0..<(2 + Int(rng.next() % 3)) { w += syllables[Int(rng.next() % UInt64(syllables.count))] }
                if seen.insert(w).inserted { english.append(w) }
            }
            var seenChinese = Set<String>()
            while chinese.count < 1500 {
                let a = UnicodeScalar(0x4E00 + UInt32(rng.next() % 800))!, b = UnicodeScalar(0x4E00 + UInt32(rng.next() % 800))!
                let w = String(Character(a)) + String(Character(b))
                if seenChinese.insert(w).inserted { chinese.append(w) }
            }
        }

        /// Zipf-like: rank ⌊n·u³⌋, so low ranks dominate and the tail is long.
        func pick(_ words: [String], _ rng: inout SplitMix64) -> String {
            let u = Double(rng.next() >> 11) / Double(1 << 53)
            return words[min(words.count - 1, Int(Double(words.count) * u * u * u))]
        }
    }

    private func generatedEntries(count: Int, seed: UInt64, vocabulary v: Vocabulary) -> [Entry] {
        var rng = SplitMix64(seed: seed)
        var entries: [Entry] = []
        for _ in 0..<count {
            if rng.next() % 100 < 40 {
                var content = ""
                for _ in 0..<(20 + Int(rng.next() % 60)) {
                    content += v.pick(v.chinese, &rng)
                    if rng.next() % 5 == 0 { content += "，" }
                }
                entries.append(Entry(title: v.pick(v.chinese, &rng) + v.pick(v.chinese, &rng), content: content + "。"))
            } else {
                var words: [String] = []
                for _ in 0..<(15 + Int(rng.next() % 90)) { words.append(v.pick(v.english, &rng)) }
                let title = (0..<(1 + Int(rng.next() % 3))).map { _ in v.pick(v.english, &rng).capitalized }.joined(separator: " ")
                entries.append(Entry(title: title, content: words.joined(separator: " ") + "."))
            }
        }
        return entries
    }

    private func queries(_ v: Vocabulary, count: Int) -> [String] {
        var rng = SplitMix64(seed: 7)
        var out: [String] = []
        for i in 0..<count {
            switch i % 4 {
            case 0:  // common words only (the slow case of FTS5)
                out.append((0..<(1 + Int(rng.next() % 3))).map { _ in v.english[Int(rng.next() % 20)] }.joined(separator: " "))
            case 1:  // a rare word among common ones
                out.append("\(v.english[Int(rng.next() % 10)]) \(v.english[2000 + Int(rng.next() % 1000)]) \(v.english[Int(rng.next() % 200)])")
            case 2:  // Chinese: bigrams of all frequencies
                out.append(v.pick(v.chinese, &rng) + v.pick(v.chinese, &rng) + v.chinese[Int(rng.next() % 1500)] + "是什麼？")
            default:  // mixed, medium words
                out.append("\(v.chinese[Int(rng.next() % 30)]) \(v.english[Int(rng.next() % 600)]) \(v.english[Int(rng.next() % 3000)])")
            }
        }
        return out
    }

    private func assertSame(_ a: [Passage], _ b: [Passage], _ what: String, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(a.map(\.id), b.map(\.id), "\(what): other passages or another order", file: file, line: line)
        XCTAssertEqual(a.map(\.score), b.map(\.score), "\(what): other scores", file: file, line: line)
    }

    func testPrunedAndIndexedRankingsEqualTheExhaustiveRanking() throws {
        let v = Vocabulary()
        let store = try KnowledgeStore(path: tempDir.appendingPathComponent("kb.db").path)
        try store.ingest(entries: generatedEntries(count: 3000, seed: 1, vocabulary: v), source: "generated")
        let questions = queries(v, count: 160)

        // Exhaustive and pruned-in-FTS5 before the index exists; 50 = every first-stage candidate.
        var reference: [[Passage]] = []
        var nonEmpty = 0
        for q in questions {
            let language = LanguageDetector.answerLanguage(for: q)
            let exhaustive = try store.search(q, language: language, topK: 50, evaluation: .exhaustive)
            assertSame(try store.search(q, language: language, topK: 50, evaluation: .fts), exhaustive, "FTS5 pruning, \(q)")
            reference.append(exhaustive)
            if exhaustive.count >= 6 { nonEmpty += 1 }
        }
        XCTAssertGreaterThan(nonEmpty, questions.count * 3 / 4, "the generated queries must match passages")

        let bytes = try store.loadLexicalIndex()
        XCTAssertGreaterThan(bytes, 0)
        let size = store.lexicalIndexSize
        XCTAssertGreaterThan(size.terms, 100, "the common terms are held in memory")
        XCTAssertGreaterThan(size.postings, 10_000)
        for (q, exhaustive) in zip(questions, reference) {
            let language = LanguageDetector.answerLanguage(for: q)
            assertSame(try store.search(q, language: language, topK: 50, evaluation: .automatic), exhaustive, "in-memory index, \(q)")
            assertSame(try store.search(q, language: language, topK: 6), Array(exhaustive.prefix(6)), "default search, \(q)")
        }

        // A write makes the index stale: searches fall back to FTS5 at once (same ranking as the
        // exhaustive one of the new state), and a reload serves the new state from memory.
        try store.ingest(entries: generatedEntries(count: 400, seed: 2, vocabulary: v), source: "more")
        for q in questions.prefix(40) {
            let language = LanguageDetector.answerLanguage(for: q)
            let exhaustive = try store.search(q, language: language, topK: 50, evaluation: .exhaustive)
            assertSame(try store.search(q, language: language, topK: 50), exhaustive, "after a write, \(q)")
        }
        try store.loadLexicalIndex()
        for q in questions.prefix(40) {
            let language = LanguageDetector.answerLanguage(for: q)
            let exhaustive = try store.search(q, language: language, topK: 50, evaluation: .exhaustive)
            assertSame(try store.search(q, language: language, topK: 50), exhaustive, "after the reload, \(q)")
        }
    }

    /// A kiosk-sized base (a few hundred passages, a small vocabulary) holds every term, the
    /// rare ones too: no query reaches FTS5, and every ranking is still the exhaustive one.
    func testASmallVocabularyIsHeldWholeAndRanksAlike() throws {
        let v = Vocabulary()
        let store = try KnowledgeStore(path: tempDir.appendingPathComponent("kb.db").path)
        let entries = generatedEntries(count: 120, seed: 5, vocabulary: v)
        try store.ingest(entries: entries, source: "generated")
        let questions = queries(v, count: 120) + entries.prefix(40).map { ($0.title ?? "") + "?" }
        let reference = try questions.map { q in
            try store.search(q, language: LanguageDetector.answerLanguage(for: q), topK: 50, evaluation: .exhaustive)
        }
        XCTAssertGreaterThan(reference.filter { !$0.isEmpty }.count, questions.count / 2, "the queries must match passages")
        try store.loadLexicalIndex()
        // Every distinct English word of the base is a term of its own, most of them in fewer than
        // 8 passages: held only because the whole vocabulary is.
        var words = Set<String>()
        for e in entries where e.content.unicodeScalars.first?.isASCII == true {
            for w in ((e.title ?? "") + " " + e.content).lowercased().split(whereSeparator: { !$0.isLetter }) { words.insert(String(w)) }
        }
        XCTAssertGreaterThan(words.count, 500)
        XCTAssertGreaterThanOrEqual(store.lexicalIndexSize.terms, words.count, "every term is held, the rare ones too")
        for (q, exhaustive) in zip(questions, reference) {
            let language = LanguageDetector.answerLanguage(for: q)
            assertSame(try store.search(q, language: language, topK: 50, evaluation: .automatic), exhaustive, "whole vocabulary, \(q)")
        }
    }

    func testHybridSearchUsesTheSameLexicalRanking() throws {
        let v = Vocabulary()
        let store = try KnowledgeStore(path: tempDir.appendingPathComponent("kb.db").path)
        try store.ingest(entries: generatedEntries(count: 2500, seed: 3, vocabulary: v), source: "generated")
        func vector(_ text: String) -> [Float] {
            var h: UInt64 = 0xcbf29ce484222325
            for b in text.utf8 { h = (h ^ UInt64(b)) &* 0x100000001b3 }
            var g = SplitMix64(seed: h)
            return (0..<32).map { _ in Float(Double(g.next() >> 11) / Double(1 << 53) * 2 - 1) }
        }
        _ = try store.embedMissing(batchSize: 256) { texts in texts.map { Embedding(model: "test:32", values: vector($0)) } }
        let questions = queries(v, count: 40)
        var before: [[Passage]] = []
        for q in questions {
            let r = try store.search(q, language: nil, topK: 10, vector: Embedding(model: "test:32", values: vector(q)))
            XCTAssertTrue(r.usedVectors)
            before.append(r.passages)
        }
        try store.loadLexicalIndex()
        XCTAssertGreaterThan(store.lexicalIndexSize.terms, 0)
        for (q, expected) in zip(questions, before) {
            let r = try store.search(q, language: nil, topK: 10, vector: Embedding(model: "test:32", values: vector(q)))
            assertSame(r.passages, expected, "hybrid, \(q)")
        }
    }
}
