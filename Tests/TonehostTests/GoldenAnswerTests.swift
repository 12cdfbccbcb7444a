import Foundation
import XCTest

/// The answers on the bundled sample knowledge base, with and without tones, byte for byte:
/// performance work on retrieval, sentence splitting and the rule tones must not move them.
/// `TONEHOST_RECORD_GOLDEN=1 swift test --filter GoldenAnswerTests` records them anew (review the
/// diff of Fixtures/golden-answers.json before committing it).
final class GoldenAnswerTests: XCTestCase {
    static let questions = [
        "What is ITRI?", "工研院是什麼？", "When was ITRI founded?", "工研院是哪一年成立的？", "Where is ITRI's headquarters?",
        "工研院在哪裡？", "What does ITRI research?", "工研院有哪些主要的研究領域？", "Who is the president of ITRI?", "院長是誰？",
        "How did TSMC come out of ITRI?", "台積電是怎麼從工研院誕生的？", "Does ITRI have offices abroad?", "工研院的海外據點有哪些？",
        "What is the weather on Mars?", "嗯！很厲害。然後…院長是誰啊？",
    ]
    static let descriptions = ["a little girl with a balloon", "an old man with a walking stick", "a woman in a business suit",
                               "a young man in a hoodie", "一位白髮的老奶奶", "穿西裝的男士"]

    static var fixture: String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures/golden-answers.json").path
    }

    func testAnswersOnTheSampleKnowledgeBaseDoNotMove() throws {
        let db = NSTemporaryDirectory() + "tonehost-golden-\(UUID().uuidString.prefix(8)).db"
        let s = try ServerProcess(["serve", "--db", db, "--manifests", TestPlugins.repoRoot.appendingPathComponent("plugin-manifests").path])
        defer { s.stop() }
        var answers: [String: String] = [:]
        for (i, q) in Self.questions.enumerated() {
            let plain = try HTTP.post(s.url + "/api/rag-llm/query", json: ["text_user_msg": q, "session_id": "golden-\(i)"])
            XCTAssertEqual(plain.status, 200)
            answers["query | \(q)"] = plain.text
            let d = Self.descriptions[i % Self.descriptions.count]
            let toned = try HTTP.post(s.url + "/api/rag-llm/query-with-tone",
                                      json: ["text_user_msg": q, "user_description": d, "session_id": "golden-tone-\(i)"])
            XCTAssertEqual(toned.status, 200)
            answers["tone | \(d) | \(q)"] = (toned.headers["x-tone"] ?? "?") + "\n" + toned.text
        }
        if ProcessInfo.processInfo.environment["TONEHOST_RECORD_GOLDEN"] == "1" {
            let data = try JSONSerialization.data(withJSONObject: answers, options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])
            try data.write(to: URL(fileURLWithPath: Self.fixture))
            return
        }
        let recorded = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: Self.fixture))) as? [String: String] ?? [:]
        XCTAssertEqual(Set(recorded.keys), Set(answers.keys))
        for (key, answer) in answers.sorted(by: { $0.key < $1.key }) {
            XCTAssertEqual(answer, recorded[key], "answer moved for \(key)")
        }
    }
}
