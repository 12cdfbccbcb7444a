import Foundation
import XCTest

/// The original HTTP contract (MISSION §5) over real HTTP on 127.0.0.1, with the bundled plugins.
final class HTTPAPITests: XCTestCase {
    static let manifests = TestPlugins.repoRoot.appendingPathComponent("plugin-manifests").path
    nonisolated(unsafe) static var shared: ServerProcess?
    nonisolated(unsafe) static var sharedDB = ""

    /// One server for the read-mostly tests (start-up costs a second).
    func server() throws -> ServerProcess {
        if let s = Self.shared { return s }
        Self.sharedDB = NSTemporaryDirectory() + "tonehost-http-\(getpid()).db"
        let s = try ServerProcess(["serve", "--manifests", Self.manifests, "--db", Self.sharedDB, "--auto-init", "--max-body-bytes", "4096"])
        Self.shared = s
        return s
    }

    override class func tearDown() {
        shared?.stop()
        shared = nil
    }

    func lines(_ text: String) -> [String] { text.components(separatedBy: "\n") }

    func testHealth() throws {
        let r = try HTTP.get(try server().url + "/health")
        XCTAssertEqual(r.status, 200)
        XCTAssertEqual(r.json["status"] as? String, "healthy")
        XCTAssertEqual(r.json["rag_initialized"] as? Bool, true)
        XCTAssertNotNil(r.json["timestamp"] as? Double)
    }

    func testQueryStreamsAndEndsWithEndFlagOnItsOwnLine() throws {
        let s = try server()
        for question in ["What is ITRI?", "工研院是什麼？"] {
            let r = try HTTP.post(s.url + "/api/rag-llm/query", json: ["text_user_msg": question, "session_id": "q-\(UUID())"])
            XCTAssertEqual(r.status, 200)
            XCTAssertEqual(r.headers["content-type"], "text/plain; charset=utf-8")
            XCTAssertEqual(r.headers["cache-control"], "no-cache")
            XCTAssertEqual(r.headers["x-accel-buffering"], "no")
            XCTAssertNil(r.headers["x-tone"], "query converts no tone by default")
            // Line by line, as line-reading clients do.
            let ls = lines(r.text)
            XCTAssertTrue(ls.contains("END_FLAG"), r.text)
            XCTAssertEqual(ls.last(where: { !$0.isEmpty }), "END_FLAG")
            XCTAssertFalse(ls.contains { $0.hasPrefix("ERROR:") }, r.text)
            // Byte by byte, as substring-searching clients do.
            XCTAssertTrue(r.body.range(of: Data("END_FLAG".utf8)) != nil)
            let answer = r.text.replacingOccurrences(of: "\nEND_FLAG\n", with: "")
            XCTAssertTrue(question.contains("ITRI") ? answer.contains("ITRI") : answer.contains("工研院"), answer)
        }
    }

    func testQueryWithToneSendsTheToneHeader() throws {
        let s = try server()
        let elder = try HTTP.post(s.url + "/api/rag-llm/query-with-tone",
                                  json: ["text_user_msg": "What is ITRI?", "user_description": "an elderly man with a walking stick", "session_id": "t-\(UUID())"])
        XCTAssertEqual(elder.headers["x-tone"], "elder_friendly")
        XCTAssertTrue(elder.text.hasSuffix("END_FLAG\n"))
        let child = try HTTP.post(s.url + "/api/rag-llm/query-with-tone",
                                  json: ["text_user_msg": "工研院是什麼？", "user_description": "一位穿著制服的小學生", "session_id": "t-\(UUID())"])
        XCTAssertEqual(child.headers["x-tone"], "child_friendly")
        XCTAssertTrue(["喔", "呢", "啊"].contains { child.text.contains($0) }, child.text)
        // convert_tone=false on query-with-tone turns conversion off
        let plain = try HTTP.post(s.url + "/api/rag-llm/query-with-tone",
                                  json: ["text_user_msg": "What is ITRI?", "convert_tone": false, "session_id": "t-\(UUID())"])
        XCTAssertNil(plain.headers["x-tone"])
    }

    func testBadRequests() throws {
        let s = try server()
        let cases: [(String, String)] = [
            ("{not json", "not valid JSON"),
            ("", "empty"),
            ("[1,2]", "JSON object"),
            ("{}", "missing required field 'text_user_msg'"),
            ("{\"text_user_msg\": 5}", "'text_user_msg' must be a string"),
            ("{\"text_user_msg\": \"   \"}", "must not be empty"),
            ("{\"text_user_msg\": \"hi\", \"include_history\": \"yes\"}", "'include_history' must be true or false"),
        ]
        for (body, expected) in cases {
            let r = try HTTP.post(s.url + "/api/rag-llm/query", raw: body)
            XCTAssertEqual(r.status, 400, body)
            XCTAssertTrue((r.json["error"] as? String ?? "").contains(expected), "\(body) → \(r.text)")
        }
        let long = String(repeating: "a", count: 4001)
        let tooLong = try HTTP.post(s.url + "/api/rag-llm/query", json: ["text_user_msg": long])
        XCTAssertTrue(tooLong.status == 400 || tooLong.status == 413, "\(tooLong.status)")
        let convert = try HTTP.post(s.url + "/api/rag-llm/convert-tone", json: ["tone": "child_friendly"])
        XCTAssertEqual(convert.status, 400)
        XCTAssertTrue((convert.json["error"] as? String ?? "").contains("'text'"))
    }

    func testNotFoundAndTooLarge() throws {
        let s = try server()
        let missing = try HTTP.get(s.url + "/api/rag-llm/nope")
        XCTAssertEqual(missing.status, 404)
        XCTAssertTrue((missing.json["error"] as? String ?? "").contains("/api/rag-llm/nope"), missing.text)
        let big = try HTTP.post(s.url + "/api/rag-llm/query", json: ["text_user_msg": String(repeating: "工", count: 3000)])
        XCTAssertEqual(big.status, 413, big.text)
        XCTAssertNotNil(big.json["error"])
    }

    func testConvertTone() throws {
        let s = try server()
        let text = "工研院成立於1973年。它位於新竹。"
        let streamed = try HTTP.post(s.url + "/api/rag-llm/convert-tone", json: ["text": text, "tone": "elder_friendly"])
        XCTAssertEqual(streamed.status, 200)
        XCTAssertEqual(streamed.headers["x-tone"], "elder_friendly")
        XCTAssertTrue(streamed.text.hasSuffix("\nEND_FLAG\n"), streamed.text)
        XCTAssertTrue(streamed.text.contains("1973") && streamed.text.contains("新竹"))
        let whole = try HTTP.post(s.url + "/api/rag-llm/convert-tone", json: ["text": text, "stream": false, "user_description": "一位老奶奶"])
        XCTAssertEqual(whole.json["success"] as? Bool, true)
        XCTAssertEqual(whole.json["original_text"] as? String, text)
        XCTAssertEqual(whole.json["tone"] as? String, "child_friendly", "child_friendly is the endpoint's default tone")
        XCTAssertEqual(whole.json["user_description"] as? String, "一位老奶奶")
        let converted = whole.json["converted_text"] as? String ?? ""
        XCTAssertNotEqual(converted, text)
        XCTAssertTrue(converted.contains("1973"))
    }

    func testInitAndWarmup() throws {
        let s = try server()
        let initialized = try HTTP.post(s.url + "/api/rag-llm/init", json: [:])
        XCTAssertEqual(initialized.json["success"] as? Bool, true)
        XCTAssertEqual(initialized.json["rag_initialized"] as? Bool, true)
        XCTAssertNotNil(initialized.json["message"] as? String)
        let warm = try HTTP.post(s.url + "/api/rag-llm/warmup", json: [:])
        XCTAssertEqual(warm.json["overall_success"] as? Bool, true, warm.text)
        for key in ["embedding_model", "llm_model"] {
            let part = warm.json[key] as? [String: Any] ?? [:]
            XCTAssertEqual(part["status"] as? String, "success", warm.text)
            XCTAssertNotNil(part["time_ms"])
            XCTAssertNotNil(part["message"] as? String)
        }
    }

    /// Concurrent answers' turns are committed together (one transaction for the appends waiting
    /// for the writer): every turn acknowledged by END_FLAG is stored, each in its own session,
    /// in order, and survives a restart.
    func testConcurrentTurnsAreAllStoredInOrder() async throws {
        let db = NSTemporaryDirectory() + "tonehost-group-\(UUID().uuidString.prefix(8)).db"
        var s: ServerProcess? = try ServerProcess(["serve", "--manifests", Self.manifests, "--db", db])
        let url = s!.url
        let questions = ["What is ITRI?", "工研院在哪裡？", "When was ITRI founded?"]
        let ended = await withTaskGroup(of: Int.self) { group in
            for i in 0..<60 {
                group.addTask {
                    var ok = 0
                    for q in questions {
                        let r = try? await HTTP.postAsync(url + "/api/rag-llm/query", json: ["text_user_msg": q, "session_id": "group-\(i)"], timeout: 60)
                        if r?.text.hasSuffix("END_FLAG\n") == true { ok += 1 }
                    }
                    return ok
                }
            }
            return await group.reduce(0, +)
        }
        XCTAssertEqual(ended, 180)
        s!.stop()
        s = try ServerProcess(["serve", "--manifests", Self.manifests, "--db", db])
        defer { s?.stop() }
        for i in 0..<60 {
            let h = try HTTP.get(s!.url + "/api/rag-llm/sessions/group-\(i)/history")
            let history = h.json["history"] as? [[String: String]] ?? []
            XCTAssertEqual(history.map { $0["role"] ?? "" }, ["user", "assistant", "user", "assistant", "user", "assistant"], "session group-\(i)")
            XCTAssertEqual(history.enumerated().filter { $0.offset % 2 == 0 }.map { $0.element["content"] ?? "" }, questions, "session group-\(i)")
        }
    }

    func testHistoryCloseAndRestart() throws {
        let db = NSTemporaryDirectory() + "tonehost-history-\(UUID().uuidString.prefix(8)).db"
        var s: ServerProcess? = try ServerProcess(["serve", "--manifests", Self.manifests, "--db", db])
        let session = "kiosk-\(UUID().uuidString.prefix(6))"
        let first = try HTTP.post(s!.url + "/api/rag-llm/query-with-tone",
                                  json: ["text_user_msg": "What is ITRI?", "session_id": session, "user_description": "a little girl with a balloon"])
        XCTAssertEqual(first.status, 200)
        _ = try HTTP.post(s!.url + "/api/rag-llm/query", json: ["text_user_msg": "工研院在哪裡？", "session_id": session])
        var h = try HTTP.get(s!.url + "/api/rag-llm/sessions/\(session)/history")
        XCTAssertEqual(h.json["message_count"] as? Int, 4)
        let history = h.json["history"] as? [[String: String]] ?? []
        XCTAssertEqual(history.map { $0["role"] ?? "" }, ["user", "assistant", "user", "assistant"])
        XCTAssertEqual(history.first?["content"], "What is ITRI?")
        // The stored assistant turn is the original answer, not the child-toned one.
        let toned = first.text.replacingOccurrences(of: "\nEND_FLAG\n", with: "")
        XCTAssertNotEqual(history[1]["content"], toned)
        XCTAssertTrue(toned.contains(history[1]["content"]!.prefix(10)) || !history[1]["content"]!.isEmpty)

        // History survives a restart.
        s!.stop()
        s = try ServerProcess(["serve", "--manifests", Self.manifests, "--db", db])
        h = try HTTP.get(s!.url + "/api/rag-llm/sessions/\(session)/history")
        XCTAssertEqual(h.json["message_count"] as? Int, 4)

        // close reports what it cleared; a second close finds nothing.
        var close = try HTTP.post(s!.url + "/api/rag-llm/close", json: ["session_id": session])
        XCTAssertEqual(close.json["success"] as? Bool, true)
        XCTAssertEqual(close.json["session_existed"] as? Bool, true)
        XCTAssertEqual(close.json["messages_cleared"] as? Int, 4)
        XCTAssertEqual(close.json["session_id"] as? String, session)
        XCTAssertNotNil(close.json["timestamp"] as? Double)
        close = try HTTP.post(s!.url + "/api/rag-llm/close", json: ["session_id": session])
        XCTAssertEqual(close.json["session_existed"] as? Bool, false)
        XCTAssertEqual(close.json["messages_cleared"] as? Int, 0)

        _ = try HTTP.post(s!.url + "/api/rag-llm/query", json: ["text_user_msg": "What is ITRI?", "session_id": session])
        let deleted = try HTTP.delete(s!.url + "/api/rag-llm/sessions/\(session)/history")
        XCTAssertEqual(deleted.json["message"] as? String, "History cleared")
        XCTAssertEqual(deleted.json["session_id"] as? String, session)
        h = try HTTP.get(s!.url + "/api/rag-llm/sessions/\(session)/history")
        XCTAssertEqual(h.json["message_count"] as? Int, 0)

        // include_history=false: the earlier turns are not used, but the turn is still stored.
        _ = try HTTP.post(s!.url + "/api/rag-llm/query", json: ["text_user_msg": "What is ITRI?", "session_id": session, "include_history": false])
        h = try HTTP.get(s!.url + "/api/rag-llm/sessions/\(session)/history")
        XCTAssertEqual(h.json["message_count"] as? Int, 2)
        s!.stop()
    }
}
