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
}
