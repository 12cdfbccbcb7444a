import Foundation
import KnowledgeStore
import TonehostText
import TonehostTypes
import XCTest

/// Vectors in the store: batched, resumable embedding keyed by passage text, one model per
/// store, hybrid ranking (reciprocal rank fusion) that falls back to lexical alone.
final class VectorStoreTests: XCTestCase {
    private var dir: URL!

    override func setUpWithError() throws {
        dir = URL(fileURLWithPath: NSTemporaryDirectory()).appendingPathComponent("tonehost-vectors-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: dir) }

    static let entries: [[String: String]] = [
        ["title": "Founding", "content": "ITRI was founded in 1973 in Hsinchu."],
        ["title": "總部", "content": "工研院總部位於新竹縣竹東鎮中興路四段195號。"],
        ["title": "Spin-offs", "content": "TSMC and UMC grew out of ITRI's semiconductor programme."],
        ["title": "院長", "content": "現任院長於2023年就任，帶領工研院推動淨零與智慧醫療。"],
        ["title": "Visiting", "content": "The exhibition hall opens Monday to Friday; groups book a guided tour."],
    ]

    func corpus(_ entries: [[String: String]] = entries, name: String = "kb.json") throws -> String {
        let url = dir.appendingPathComponent(name)
        try JSONSerialization.data(withJSONObject: entries).write(to: url)
        return url.path
    }

    /// A deterministic stand-in for an embedder: a unit vector per distinct text.
    static func vector(_ text: String, dimension: Int = 16) -> [Float] {
        var h: UInt64 = 1469598103934665603
        for b in text.utf8 { h = (h ^ UInt64(b)) &* 1099511628211 }
        var v: [Float] = (0..<dimension).map { i in
            let x = (h &+ UInt64(i) &* 0x9E3779B97F4A7C15) >> 40
            return Float(x % 2001) / 1000 - 1
        }
        let n = v.reduce(0) { $0 + $1 * $1 }.squareRoot()
        for i in v.indices { v[i] /= n }
        return v
    }

    final class Recorder: @unchecked Sendable {
        var batches: [[String]] = []
        var failAfter: Int?
        let model: String
        let dimension: Int
        init(model: String = "test:hash", dimension: Int = 16) { self.model = model; self.dimension = dimension }
        func embed(_ texts: [String]) throws -> [Embedding] {
            if let failAfter, batches.count >= failAfter { throw NSError(domain: "embedder", code: 1, userInfo: [NSLocalizedDescriptionKey: "backend went away"]) }
            batches.append(texts)
            return texts.map { Embedding(model: model, values: VectorStoreTests.vector($0, dimension: dimension)) }
        }
    }

    func testEmbeddingIsBatchedResumableAndSkipsUnchangedPassages() throws {
        let store = try KnowledgeStore(path: dir.appendingPathComponent("kb.db").path)
        XCTAssertEqual(try store.ingest(paths: [try corpus()]).passages, 5)
        XCTAssertNil(try store.embeddingModel())

        // Interrupted after the first batch of two: those two are kept.
        let recorder = Recorder()
        recorder.failAfter = 1
        XCTAssertThrowsError(try store.embedMissing(batchSize: 2, embed: recorder.embed))
        XCTAssertEqual(try store.passagesWithVector(), 2)
        XCTAssertEqual(try store.passagesWithoutVector(), 3)

        // The next run goes on with the three still missing, in batches of at most two.
        recorder.failAfter = nil
        var progress: [(Int, Int)] = []
        let summary = try store.embedMissing(batchSize: 2, embed: recorder.embed, progress: { progress.append(($0, $1)) })
        XCTAssertEqual(summary.embedded, 3)
        XCTAssertEqual(summary.reused, 2)
        XCTAssertEqual(recorder.batches.map(\.count), [2, 2, 1])
        XCTAssertEqual(progress.map(\.0), [2, 3])
        XCTAssertEqual(try store.embeddingModel(), EmbeddingModelInfo(model: "test:hash", dimension: 16))
        XCTAssertTrue(recorder.batches.joined().contains { $0.hasPrefix("總部\n工研院總部") }, "title, then content: \(recorder.batches)")

        // Re-ingesting the file with one entry changed re-embeds that entry only; its old vector is dropped.
        var changed = Self.entries
        changed[4]["content"] = "The exhibition hall opens Tuesday to Sunday."
        _ = try store.ingest(paths: [try corpus(changed)])
        recorder.batches = []
        let again = try store.embedMissing(batchSize: 2, embed: recorder.embed)
        XCTAssertEqual(again.embedded, 1)
        XCTAssertEqual(again.dropped, 1)
        XCTAssertEqual(recorder.batches, [["Visiting\nThe exhibition hall opens Tuesday to Sunday."]])
    }

    func testAStoreBuiltWithAnotherModelIsRefusedUntilItIsRebuilt() throws {
        let store = try KnowledgeStore(path: dir.appendingPathComponent("kb.db").path)
        _ = try store.ingest(paths: [try corpus()])
        _ = try store.embedMissing(embed: Recorder().embed)
        XCTAssertNoThrow(try store.checkEmbeddingModel("test:hash", dimension: 16))
        XCTAssertThrowsError(try store.checkEmbeddingModel("ollama:bge-m3", dimension: 1024)) { error in
            let text = "\(error)"
            XCTAssertTrue(text.contains("test:hash") && text.contains("ollama:bge-m3") && text.contains("tonehost reembed"), text)
        }
        // More passages embedded by another model: refused, nothing mixed in.
        _ = try store.ingest(paths: [try corpus([["title": "New", "content": "A new hall opened in 2025."]], name: "more.json")])
        XCTAssertThrowsError(try store.embedMissing(embed: Recorder(model: "other:model", dimension: 8).embed)) { error in
            XCTAssertTrue("\(error)".contains("tonehost reembed"), "\(error)")
        }
        XCTAssertEqual(try store.passagesWithoutVector(), 1)
        // A query vector of another model: lexical only, with the reason.
        let result = try store.search("ITRI founded", language: .english, topK: 3, vector: Embedding(model: "other:model", values: Self.vector("x", dimension: 8)))
        XCTAssertFalse(result.usedVectors)
        XCTAssertTrue(result.note?.contains("reembed") == true, result.note ?? "")
        XCTAssertEqual(result.passages.first?.title, "Founding")
        // Rebuilt with the new model.
        try store.clearVectors()
        XCTAssertNil(try store.embeddingModel())
        let rebuilt = try store.embedMissing(embed: Recorder(model: "other:model", dimension: 8).embed)
        XCTAssertEqual(rebuilt.embedded, 6)
        XCTAssertEqual(try store.embeddingModel(), EmbeddingModelInfo(model: "other:model", dimension: 8))
    }

    func testHybridRankingFusesLexicalAndVectorRanks() throws {
        let store = try KnowledgeStore(path: dir.appendingPathComponent("kb.db").path)
        _ = try store.ingest(paths: [try corpus()])
        _ = try store.embedMissing(embed: Recorder().embed)
        // A question sharing no term with the headquarters passage, whose vector is that passage's
        // (what a multilingual model would give "Where is ITRI's headquarters?").
        let question = "Where can I find the head office?"
        XCTAssertFalse(try store.search(question, language: .english, topK: 6).contains { $0.title == "總部" },
                       "lexically the Chinese passage is not found")
        let vector = Embedding(model: "test:hash", values: Self.vector("總部\n工研院總部位於新竹縣竹東鎮中興路四段195號。"))
        let hybrid = try store.search(question, language: .english, topK: 3, vector: vector)
        XCTAssertTrue(hybrid.usedVectors)
        XCTAssertEqual(hybrid.passages.first?.title, "總部", hybrid.passages.map(\.title).description)
        // A lexical match and the nearest vector both count: the founding passage (lexical rank 1)
        // and the nearest vector's passage are both in the top 3.
        let mixed = try store.search("When was ITRI founded?", language: .english, topK: 3, vector: vector)
        XCTAssertTrue(Set(mixed.passages.map(\.title)).isSuperset(of: ["Founding", "總部"]), mixed.passages.map(\.title).description)
        // Vector weight 0: exactly the lexical ranking.
        let lexicalOnly = try store.search("When was ITRI founded?", language: .english, topK: 3, vector: vector,
                                           weights: HybridWeights(lexical: 1, vector: 0))
        XCTAssertEqual(lexicalOnly.passages.map(\.id), try store.search("When was ITRI founded?", language: .english, topK: 3).map(\.id))
        // No vector: the lexical search, unchanged.
        let none = try store.search("When was ITRI founded?", language: .english, topK: 3, vector: nil)
        XCTAssertFalse(none.usedVectors)
        XCTAssertEqual(none.passages.map(\.id), try store.search("When was ITRI founded?", language: .english, topK: 3).map(\.id))
    }

    func testTheVectorIndexFollowsTheStore() throws {
        let store = try KnowledgeStore(path: dir.appendingPathComponent("kb.db").path)
        _ = try store.ingest(paths: [try corpus()])
        _ = try store.embedMissing(embed: Recorder().embed)
        XCTAssertEqual(try store.loadVectorIndex(), 5 * 16 + 5 * 4 + 5 * 8, "int8 rows + a scale and an id each")
        let text = "New\nA robot café opened in the lobby."
        _ = try store.ingest(paths: [try corpus([["title": "New", "content": "A robot café opened in the lobby."]], name: "more.json")])
        _ = try store.embedMissing(embed: Recorder().embed)
        let found = try store.search("zzz", language: nil, topK: 1, vector: Embedding(model: "test:hash", values: Self.vector(text)))
        XCTAssertEqual(found.passages.first?.title, "New", "a passage added after the first hybrid search is found by its vector")
    }
}
