import Foundation
import TonehostCore
import XCTest

/// The bundled plugins, loaded as .so files through the repo's plugin-manifests/ and called
/// through the C ABI exactly as the host calls them.
final class BundledPluginsTests: XCTestCase {
    nonisolated(unsafe) static var cached: PluginGeneration?
    static let db = NSTemporaryDirectory() + "tonehost-bundled-\(getpid()).db"

    func generation() throws -> PluginGeneration {
        if let g = Self.cached { return g }
        var env = ProcessInfo.processInfo.environment
        env["TONEHOST_DB"] = Self.db
        env["TONEHOST_PLUGIN_PATH"] = TestPlugins.productsDir
        let report = TestPlugins.load(TestPlugins.repoRoot.appendingPathComponent("plugin-manifests").path, environment: env)
        XCTAssertFalse(report.hasFailures, "\(report.entries.map { "\($0.file): \($0.state)" }) \(report.conflicts) \(report.fatal)")
        let g = try PluginGeneration(report: report)
        Self.cached = g
        return g
    }

    static let english = "ITRI was established in 1973 in Hsinchu. It has approximately 6,000 employees. TSMC and UMC started as ITRI spin-offs."
    static let chinese = "工研院成立於1973年，位於新竹。工研院約有6000名員工。台積電和聯電都是從工研院衍生出來的公司。"

    /// Converts a whole answer sentence by sentence, as the pipeline does.
    func convert(_ text: String, tone: PluginInstance, language: String, first: Bool = true, description: String = "a visitor with a backpack") async throws -> String {
        var out = ""
        let sentences = splitSentences(text)
        for (i, s) in sentences.enumerated() {
            out += try await tone.convertTone(ToneInput(text: s, userDescription: description, userMessage: "Tell me about ITRI",
                                                        language: language, firstMessage: first, segmentIndex: i, isFinal: false, sessionID: "t"))
        }
        out += try await tone.convertTone(ToneInput(text: "", userDescription: description, userMessage: "Tell me about ITRI",
                                                    language: language, firstMessage: first, segmentIndex: sentences.count, isFinal: true, sessionID: "t"))
        return out
    }

    func splitSentences(_ text: String) -> [String] {
        var out: [String] = []
        var current = ""
        for ch in text {
            current.append(ch)
            if "。！？.!?".contains(ch) {
                out.append(current.trimmingCharacters(in: .whitespaces))
                current = ""
            }
        }
        if !current.trimmingCharacters(in: .whitespaces).isEmpty { out.append(current.trimmingCharacters(in: .whitespaces)) }
        return out
    }

    func testFourTonesAreDifferentAndLoseNoFact() async throws {
        let g = try generation()
        for (text, language, facts) in [
            (Self.english, "en", ["ITRI", "1973", "Hsinchu", "6,000", "TSMC", "UMC"]),
            (Self.chinese, "zh-TW", ["工研院", "1973", "新竹", "6000", "台積電", "聯電"]),
        ] {
            var outputs: [String: String] = [:]
            for category in ["child_friendly", "elder_friendly", "professional_friendly", "casual_friendly"] {
                let tone = try XCTUnwrap(g.tones[category], "no \(category) plugin")
                let out = try await convert(text, tone: tone, language: language)
                for fact in facts { XCTAssertTrue(out.contains(fact), "\(category) lost \(fact): \(out)") }
                outputs[category] = out
            }
            XCTAssertEqual(Set(outputs.values).count, 4, "tones are not all different: \(outputs)")
            if language == "zh-TW" {
                XCTAssertTrue(["喔", "呢", "啊"].contains { outputs["child_friendly"]!.contains($0) }, outputs["child_friendly"]!)
                XCTAssertTrue(outputs["elder_friendly"]!.contains("您"), outputs["elder_friendly"]!)
            }
        }
    }

    func testRuleSelectorThroughTheABI() async throws {
        let g = try generation()
        let selector = try XCTUnwrap(g.toneSelector)
        let cases = [
            ("an elderly man with a walking stick", "elder_friendly"),
            ("一位穿著制服的小學生", "child_friendly"),
            ("a woman in a business suit with a briefcase", "professional_friendly"),
            ("a young man scolding his dog", "casual_friendly"),
        ]
        for (description, expected) in cases {
            let got = try await selector.selectTone(description: description, language: "en", categories: g.toneCategories)
            XCTAssertEqual(got, expected, description)
        }
    }

    func testRandomDescriberGivesDescriptions() async throws {
        let g = try generation()
        let describer = try XCTUnwrap(g.describer)
        var seen = Set<String>()
        for i in 0..<30 { seen.insert(try await describer.describe(sessionID: "s\(i)")) }
        XCTAssertGreaterThan(seen.count, 5, "the simulator should vary its descriptions")
    }

    func testRetrieverAndExtractiveAnswererThroughTheABI() async throws {
        let g = try generation()
        let passages = try await g.retriever.retrieve(query: "工研院的歷史", language: "zh-TW", topK: 6)
        XCTAssertFalse(passages.isEmpty)
        XCTAssertLessThanOrEqual(passages.count, 6)
        XCTAssertEqual(passages.first?.language, "zh-TW")
        let r = await runPipeline(PipelineRequest(question: "Tell me about ITRI's history", convertTone: false), g)
        XCTAssertNil(r.failure)
        XCTAssertTrue(r.text.contains("1973"), r.text)
    }
}
