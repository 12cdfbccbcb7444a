import FakeBackends
import Foundation
import XCTest

/// `tonehost serve` with the Ollama plugin against a fake Ollama, over real HTTP.
final class HTTPLLMTests: XCTestCase {
    func server(_ fake: FakeChatServer) throws -> ServerProcess {
        let dir = try LLMBackendTests.manifestDirectory(llm: LLMBackendTests.ollamaManifest(fake.url))
        let db = NSTemporaryDirectory() + "tonehost-httpllm-\(UUID().uuidString.prefix(8)).db"
        return try ServerProcess(["serve", "--manifests", dir, "--db", db])
    }

    func testTokensReachTheClientAsTheyAreGenerated() async throws {
        var b = FakeChatServer.Behaviour()
        b.answerTokens = (1...30).map { "word\($0) " }
        b.tokenDelayMilliseconds = 40
        let fake = try await FakeChatServer(port: ServerProcess.freePort(), behaviour: b)
        let host = try server(fake)
        let r = try await HTTP.postAsync(host.url + "/api/rag-llm/query", json: ["text_user_msg": "What is ITRI?", "session_id": "s1"])
        XCTAssertEqual(r.status, 200)
        XCTAssertTrue(r.text.hasPrefix("word1 word2"), r.text)
        XCTAssertTrue(r.text.hasSuffix("\nEND_FLAG\n"))
        let first = try XCTUnwrap(r.firstByte)
        XCTAssertLessThan(first, r.total / 3, "first byte at \(first) s of \(r.total) s")
        fake.stop()
    }

    func testMidStreamFailureEndsWithErrorThenEndFlagAndTheHostStaysHealthy() async throws {
        var b = FakeChatServer.Behaviour()
        b.failAfterTokens = 3
        let fake = try await FakeChatServer(port: ServerProcess.freePort(), behaviour: b)
        let host = try server(fake)
        let r = try await HTTP.postAsync(host.url + "/api/rag-llm/query", json: ["text_user_msg": "What is ITRI?", "session_id": "s2"])
        XCTAssertEqual(r.status, 200)
        let lines = r.text.components(separatedBy: "\n")
        let errorIndex = try XCTUnwrap(lines.firstIndex { $0.hasPrefix("ERROR: ") }, r.text)
        XCTAssertTrue(lines[errorIndex].contains("GPU fell over"), r.text)
        XCTAssertEqual(lines[errorIndex + 1], "END_FLAG")
        XCTAssertTrue(r.text.hasPrefix("ITRI is Taiwan's "))
        let health = try await HTTP.getAsync(host.url + "/health")
        XCTAssertEqual(health.status, 200)
        fake.behaviour.failAfterTokens = nil
        let again = try await HTTP.postAsync(host.url + "/api/rag-llm/query", json: ["text_user_msg": "What is ITRI?", "session_id": "s3"])
        XCTAssertFalse(again.text.contains("ERROR:"), again.text)
        fake.stop()
    }

    /// The LLM-driven tones and selector reach the LLM through the host's LLM service with
    /// `chat_start`: 100 concurrent answers, each a selection chat and a tone chat against a slow
    /// fake, hold no thread per chat (the blocking `chat` took one each: ~112 threads).
    func testLLMTonesAndSelectorHoldNoThreadPerAnswer() async throws {
        var b = FakeChatServer.Behaviour()
        b.answerTokens = ["elder_friendly ", "Hello ", "there, ", "dear ", "friend."]
        b.tokenDelayMilliseconds = 60
        let fake = try await FakeChatServer(port: ServerProcess.freePort(), behaviour: b)
        defer { fake.stop() }
        let available = TestPlugins.repoRoot.appendingPathComponent("plugin-manifests/available").path
        var extra: [String: String] = [:]
        for file in ["tone-child-llm.toml", "tone-elder-llm.toml", "tone-professional-llm.toml", "tone-casual-llm.toml", "tone-selector-llm.toml"] {
            extra[file] = try String(contentsOfFile: "\(available)/\(file)", encoding: .utf8)
        }
        let dir = try LLMBackendTests.manifestDirectory(llm: LLMBackendTests.ollamaManifest(fake.url), extra: extra)
        let host = try ServerProcess(["serve", "--manifests", dir, "--db", NSTemporaryDirectory() + "tonehost-llmthreads-\(UUID().uuidString.prefix(8)).db"])
        defer { host.stop() }
        let body: [String: Any] = ["text_user_msg": "What is ITRI?", "user_description": "an old man with a walking stick"]
        let first = try await HTTP.postAsync(host.url + "/api/rag-llm/query-with-tone", json: body.merging(["session_id": "warm"]) { $1 }, timeout: 30)
        XCTAssertEqual(first.headers["x-tone"], "elder_friendly", first.text)
        let sampling = Task.detached { () -> Int in
            var peak = 0
            while !Task.isCancelled {
                peak = max(peak, host.threadCount)
                try? await Task.sleep(for: .milliseconds(20))
            }
            return peak
        }
        let answers = await withTaskGroup(of: (String?, String).self) { group in
            for i in 0..<100 {
                group.addTask {
                    let r = try? await HTTP.postAsync(host.url + "/api/rag-llm/query-with-tone", json: body.merging(["session_id": "t\(i)"]) { $1 }, timeout: 60)
                    return (r?.headers["x-tone"], r?.text ?? "")
                }
            }
            return await group.reduce(into: []) { $0.append($1) }
        }
        sampling.cancel()
        let peak = await sampling.value
        XCTAssertEqual(answers.filter { $0.0 == "elder_friendly" && $0.1.hasSuffix("END_FLAG\n") }.count, 100,
                       "every answer chose its tone through the LLM and ended: \(answers.prefix(3))")
        XCTAssertTrue(answers.allSatisfy { $0.1.contains("dear friend") }, "the LLM tone rewrote the answers: \(answers.prefix(2))")
        print("100 concurrent answers with the LLM selector and tones: peak \(peak) threads")
        XCTAssertLessThan(peak, 40, "threads peaked at \(peak)")
    }

    /// Stream lines are read byte by byte (JSONLite): escapes, \u escapes with surrogate pairs,
    /// Traditional Chinese, whitespace around a line, both APIs — the text arrives intact, and a
    /// line that is not JSON is skipped, not taken for text.
    func testStreamLinesWithEscapesAndSurrogatePairsArriveIntact() async throws {
        let expected = "工研院「ITRI」 said \"hi\" back\\slash\ttab 🎉😀 é/end"
        let pieces = [#"工研院「ITRI」 "#, #"said \"hi\" "#, #"back\\slash\ttab "#, #"\ud83c\udf89\uD83D\uDE00 "#, #"\u00e9\/end"#]
        for openAI in [false, true] {
            var b = FakeChatServer.Behaviour()
            b.rawAnswerLines = pieces.map { p in
                openAI ? "data:  {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"\(p)\"}}]}  \r\n\n"
                       : "  {\"message\":{\"role\":\"assistant\",\"content\":\"\(p)\"},\"done\":false}\r\n"
            } + [openAI ? "data: {not json\n\n" : "{not json\n"]
            let fake = try await FakeChatServer(port: ServerProcess.freePort(), behaviour: b)
            defer { fake.stop() }
            let manifest = openAI
                ? "name = \"openai\"\nkind = \"llm\"\nlibrary = \"libtonehost-llm-openai.so\"\nabi_version = 1\n[config]\nbase_url = \"\(fake.url)/v1\"\nmodel = \"m\"\n"
                : LLMBackendTests.ollamaManifest(fake.url)
            let dir = try LLMBackendTests.manifestDirectory(llm: manifest)
            let host = try ServerProcess(["serve", "--manifests", dir, "--db", NSTemporaryDirectory() + "tonehost-lines-\(UUID().uuidString.prefix(8)).db"])
            defer { host.stop() }
            let r = try await HTTP.postAsync(host.url + "/api/rag-llm/query", json: ["text_user_msg": "What is ITRI?", "convert_tone": false])
            XCTAssertEqual(r.status, 200)
            XCTAssertTrue(r.text.hasPrefix(expected + "\n"), "\(openAI ? "openai" : "ollama"): \(r.text.debugDescription)")
            XCTAssertTrue(r.text.hasSuffix("END_FLAG\n"), r.text)
        }
    }
}
