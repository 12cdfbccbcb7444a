import Foundation
import XCTest

/// The OpenAI-compatible façade over real HTTP against the bundled plugins: `/v1/models`,
/// `/v1/chat/completions` whole and streamed (SSE), tones by model name, sessions, and errors
/// in OpenAI's shape. (scripts/check-clients.sh drives it with the official `openai` package.)
final class OpenAIFacadeTests: XCTestCase {
    let manifests = TestPlugins.repoRoot.appendingPathComponent("plugin-manifests").path
    static let elder = "an elderly man with a walking stick"

    func start(_ environment: [String: String] = [:], manifests: String? = nil) throws -> ServerProcess {
        let db = NSTemporaryDirectory() + "tonehost-openai-\(UUID().uuidString.prefix(8)).db"
        return try ServerProcess(["serve", "--manifests", manifests ?? self.manifests, "--db", db, "--auto-init"],
                                 environment: environment, healthPath: "/readyz")
    }

    func chat(_ s: ServerProcess, _ body: [String: Any], headers: [String] = []) throws -> HTTP.Response {
        try HTTP.send(s.url + "/v1/chat/completions", method: "POST", body: try JSONSerialization.data(withJSONObject: body),
                      timeout: 60, headers: headers)
    }

    /// The `data:` payloads of an SSE body, in order.
    func events(_ r: HTTP.Response) -> [String] {
        r.text.components(separatedBy: "\n\n").filter { !$0.isEmpty }.map { event in
            XCTAssertTrue(event.hasPrefix("data: "), "not an SSE data event: \(event)")
            return String(event.dropFirst(6))
        }
    }

    func testModelsAndAWholeCompletionInTheChosenTone() throws {
        let s = try start()
        defer { s.stop() }
        let models = try HTTP.get(s.url + "/v1/models")
        XCTAssertEqual(models.status, 200)
        let ids = (models.json["data"] as? [[String: Any]] ?? []).compactMap { $0["id"] as? String }
        XCTAssertEqual(models.json["object"] as? String, "list")
        for id in ["tonehost", "tonehost-original", "tonehost-child_friendly", "tonehost-elder_friendly",
                   "tonehost-professional_friendly", "tonehost-casual_friendly"] {
            XCTAssertTrue(ids.contains(id), "\(id) not in \(ids)")
        }

        let r = try chat(s, ["model": "tonehost", "user_description": Self.elder,
                             "messages": [["role": "system", "content": "ignored"], ["role": "user", "content": "What is ITRI?"]]])
        XCTAssertEqual(r.status, 200, r.text)
        XCTAssertEqual(r.headers["content-type"], "application/json")
        XCTAssertEqual(r.headers["x-tone"], "elder_friendly")
        let body = r.json
        XCTAssertEqual(body["object"] as? String, "chat.completion")
        XCTAssertEqual(body["model"] as? String, "tonehost")
        XCTAssertEqual(body["tone"] as? String, "elder_friendly")
        XCTAssertTrue((body["id"] as? String)?.hasPrefix("chatcmpl-") == true)
        let choice = (body["choices"] as? [[String: Any]])?.first ?? [:]
        XCTAssertEqual(choice["finish_reason"] as? String, "stop")
        let message = choice["message"] as? [String: Any] ?? [:]
        XCTAssertEqual(message["role"] as? String, "assistant")
        let content = message["content"] as? String ?? ""
        XCTAssertFalse(content.isEmpty)
        XCTAssertFalse(content.contains("END_FLAG"), content)
    }

    func testStreamedCompletionIsServerSentEventsEndingInDone() throws {
        let s = try start()
        defer { s.stop() }
        let r = try chat(s, ["model": "tonehost-child_friendly", "stream": true,
                             "messages": [["role": "user", "content": [["type": "text", "text": "工研院在哪裡？"]]]]])
        XCTAssertEqual(r.status, 200, r.text)
        XCTAssertEqual(r.headers["content-type"], "text/event-stream; charset=utf-8")
        XCTAssertEqual(r.headers["x-tone"], "child_friendly")
        let payloads = events(r)
        XCTAssertEqual(payloads.last, "[DONE]")
        let chunks = payloads.dropLast().compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
        XCTAssertEqual(chunks.count, payloads.count - 1, "every event but [DONE] is a JSON object")
        XCTAssertTrue(chunks.allSatisfy { $0["object"] as? String == "chat.completion.chunk" })
        let choices = chunks.compactMap { ($0["choices"] as? [[String: Any]])?.first }
        XCTAssertEqual((choices.first?["delta"] as? [String: Any])?["role"] as? String, "assistant")
        XCTAssertEqual(choices.last?["finish_reason"] as? String, "stop")
        XCTAssertTrue(choices.dropLast().allSatisfy { $0["finish_reason"] is NSNull }, "finish_reason is null until the last chunk")
        let text = choices.compactMap { ($0["delta"] as? [String: Any])?["content"] as? String }.joined()
        XCTAssertTrue(text.unicodeScalars.contains { (0x4E00...0x9FFF).contains($0.value) }, "a Chinese question is answered in Chinese: \(text)")
    }

    func testToneByModelNameOrFieldAndOriginalWithout() throws {
        let s = try start()
        defer { s.stop() }
        let question: [[String: Any]] = [["role": "user", "content": "What is ITRI?"]]
        let forced = try chat(s, ["model": "tonehost-professional_friendly", "user_description": Self.elder, "messages": question])
        XCTAssertEqual(forced.json["tone"] as? String, "professional_friendly", forced.text)
        let field = try chat(s, ["model": "tonehost", "tone": "child_friendly", "user_description": Self.elder, "messages": question])
        XCTAssertEqual(field.json["tone"] as? String, "child_friendly", field.text)
        let original = try chat(s, ["model": "tonehost-original", "user_description": Self.elder, "messages": question])
        XCTAssertEqual(original.status, 200)
        XCTAssertNil(original.json["tone"], "no conversion: no tone")
        XCTAssertNil(original.headers["x-tone"])
    }

    func testNamedSessionUsesAndExtendsStoredHistory() throws {
        let s = try start()
        defer { s.stop() }
        for q in ["What is ITRI?", "Where is it?"] {
            let r = try chat(s, ["user": "visitor-7", "messages": [["role": "user", "content": q]]])
            XCTAssertEqual(r.status, 200, r.text)
        }
        let history = try HTTP.get(s.url + "/api/rag-llm/sessions/visitor-7/history")
        XCTAssertEqual(history.json["message_count"] as? Int, 4, history.text)
        // Without a session nothing is stored.
        _ = try chat(s, ["messages": [["role": "user", "content": "What is ITRI?"]]])
        XCTAssertEqual(try HTTP.get(s.url + "/api/rag-llm/sessions/default/history").json["message_count"] as? Int, 0)
    }

    func testErrorsInOpenAIShape() throws {
        let s = try start(["TONEHOST_API_KEYS": "k-1", "TONEHOST_REQUIRE_API_KEY": "true"])
        defer { s.stop() }
        let auth = ["Authorization: Bearer k-1"]
        func detail(_ r: HTTP.Response) -> [String: Any] { r.json["error"] as? [String: Any] ?? [:] }

        let noKey = try chat(s, ["messages": [["role": "user", "content": "hi"]]])
        XCTAssertEqual(noKey.status, 401)
        XCTAssertEqual(detail(noKey)["type"] as? String, "authentication_error", noKey.text)

        let unknown = try chat(s, ["model": "gpt-4o", "messages": [["role": "user", "content": "hi"]]], headers: auth)
        XCTAssertEqual(unknown.status, 404)
        XCTAssertEqual(detail(unknown)["code"] as? String, "model_not_found")
        XCTAssertTrue((detail(unknown)["message"] as? String)?.contains("tonehost-elder_friendly") == true, unknown.text)

        let missing = try chat(s, ["model": "tonehost"], headers: auth)
        XCTAssertEqual(missing.status, 400)
        XCTAssertEqual(detail(missing)["message"] as? String, "missing required field 'messages'")
        XCTAssertEqual(detail(missing)["type"] as? String, "invalid_request_error")
        XCTAssertTrue(detail(missing).keys.contains("param") && detail(missing)["param"] is NSNull, missing.text)

        let notUser = try chat(s, ["messages": [["role": "user", "content": "hi"], ["role": "assistant", "content": "hello"]]], headers: auth)
        XCTAssertEqual(notUser.status, 400)
        XCTAssertTrue((detail(notUser)["message"] as? String)?.contains("messages[1].role") == true, notUser.text)

        let badTone = try chat(s, ["tone": "pirate", "messages": [["role": "user", "content": "hi"]]], headers: auth)
        XCTAssertEqual(badTone.status, 400)
        XCTAssertEqual(detail(badTone)["code"] as? String, "invalid_tone")

        let notJSON = try HTTP.send(s.url + "/v1/chat/completions", method: "POST", body: Data("{nope".utf8), timeout: 10, headers: auth)
        XCTAssertEqual(notJSON.status, 400)
        XCTAssertEqual(detail(notJSON)["message"] as? String, "request body is not valid JSON")
    }

    func testFailedAnswerIsAnErrorEventOrA502() throws {
        let dir = try TestPlugins.standardSet(llm: ["fail_after": 2])
        let s = try start(manifests: dir)
        defer { s.stop() }
        let streamed = try chat(s, ["stream": true, "messages": [["role": "user", "content": "What is ITRI?"]]])
        XCTAssertEqual(streamed.status, 200)
        let payloads = events(streamed)
        XCTAssertEqual(payloads.last, "[DONE]")
        let error = payloads.dropLast().last.flatMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }?["error"] as? [String: Any]
        XCTAssertEqual(error?["code"] as? String, "answer_failed", streamed.text)
        XCTAssertTrue((error?["message"] as? String)?.contains("went away") == true, streamed.text)

        let whole = try chat(s, ["messages": [["role": "user", "content": "What is ITRI?"]]])
        XCTAssertEqual(whole.status, 502, whole.text)
        XCTAssertEqual((whole.json["error"] as? [String: Any])?["type"] as? String, "server_error")
    }
}
