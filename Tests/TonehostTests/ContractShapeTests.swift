import Foundation
import XCTest

/// The JSON on the wire, endpoint by endpoint: every endpoint of the main API and the
/// description service is called over real HTTP and its status, `Content-Type` and body shape
/// (keys, value types, nesting, and exact values where they are deterministic) are compared
/// with the expectation recorded below. Recorded before the bodies became typed; it must keep
/// passing unchanged.
///
/// Expectation syntax (JSON): `"<string>"`, `"<int>"`, `"<number>"`, `"<bool>"` match any value
/// of that type (`<int>`: a number written without a fraction); `{"<each>": E}` matches an array
/// whose every element matches `E`; an object key ending in `?` may be absent; anything else
/// must be equal, and an object must have exactly the expected keys.
final class ContractShapeTests: XCTestCase {
    let manifests = TestPlugins.repoRoot.appendingPathComponent("plugin-manifests").path

    /// One exchange and what it must answer.
    struct Case {
        var method = "GET"
        var path: String
        var body: String?
        var headers: [String] = []
        var status = 200
        var contentType = "application/json"
        /// The expected JSON (syntax above); nil for a streamed text answer.
        var json: String?
        /// Response headers that must be present, with their value when it is given.
        var responseHeaders: [String: String?] = [:]
    }

    func testMainAPIShapes() throws {
        let db = NSTemporaryDirectory() + "tonehost-shape-\(UUID().uuidString.prefix(8)).db"
        let s = try ServerProcess(["serve", "--manifests", manifests, "--db", db, "--auto-init", "--max-body-bytes", "4096"],
                                  environment: ["TONEHOST_CORS_ORIGINS": "https://kiosk.example", "TONEHOST_RATE_LIMIT_PER_SESSION": "2",
                                                "TONEHOST_API_KEYS": "shape-key"],
                                  healthPath: "/readyz")
        defer { s.stop() }
        let admin = ["Authorization: Bearer shape-key"]
        // /readyz names the session store and this host's knowledge-base content (several hosts).
        let readyStores = #""session_store": {"store": "<string>", "shared": false, "available": true}, "knowledge_base": {"generation": "<string>", "documents": "<int>", "passages": "<int>", "ingested_at?": "<number>"}"#
        let warmStep = #"{"message": "<string>", "status": "<string>", "time_ms": "<number>"}"#
        let row = #"{"file": "<string>", "name": "<string>", "kind": "<string>", "tone?": "<string>", "status": "<string>", "reason?": "<string>", "plugin?": "<string>", "library?": "<string>", "isolation": "<string>", "crashes": "<int>"}"#
        let cases: [Case] = [
            Case(path: "/health", json: #"{"rag_initialized": true, "status": "healthy", "timestamp": "<number>"}"#),
            Case(path: "/livez", json: #"{"status": "alive"}"#),
            Case(path: "/readyz", json: #"{"generation": 1, "status": "ready", \#(readyStores)}"#),
            Case(method: "POST", path: "/api/rag-llm/query", body: #"{"text_user_msg": "What is ITRI?", "session_id": "shape-h", "tone": "ignored", "extra": [1]}"#,
                 contentType: "text/plain; charset=utf-8"),
            Case(method: "POST", path: "/api/rag-llm/query-with-tone",
                 body: #"{"text_user_msg": "What is ITRI?", "session_id": "shape-t", "user_description": "an elderly man with a walking stick", "include_history": false, "convert_tone": true, "user_description_extra": null}"#,
                 contentType: "text/plain; charset=utf-8", responseHeaders: ["x-tone": "elder_friendly"]),
            Case(method: "POST", path: "/api/rag-llm/convert-tone", body: #"{"text": "Hello there.", "tone": "elder_friendly"}"#,
                 contentType: "text/plain; charset=utf-8"),
            Case(method: "POST", path: "/api/rag-llm/convert-tone", body: #"{"text": "Hello there.", "stream": false, "user_description": null}"#,
                 json: #"{"converted_text": "<string>", "original_text": "Hello there.", "success": true, "tone": "child_friendly", "user_description": ""}"#),
            Case(method: "POST", path: "/api/rag-llm/init", json: #"{"message": "<string>", "rag_initialized": true, "success": true}"#),
            Case(method: "POST", path: "/api/rag-llm/warmup",
                 json: #"{"embedding_model": \#(warmStep), "llm_model": \#(warmStep), "overall_success": true, "timestamp": "<number>"}"#),
            Case(path: "/api/rag-llm/sessions/shape-h/history",
                 json: #"{"history": [{"content": "What is ITRI?", "role": "user"}, {"content": "<string>", "role": "assistant"}], "message_count": 2, "session_id": "shape-h"}"#),
            Case(path: "/api/rag-llm/sessions/shape%20%E4%B8%AD/history", json: #"{"history": [], "message_count": 0, "session_id": "shape 中"}"#),
            Case(method: "DELETE", path: "/api/rag-llm/sessions/shape-h/history",
                 json: #"{"message": "History cleared", "messages_cleared": 2, "session_id": "shape-h"}"#),
            Case(method: "POST", path: "/api/rag-llm/close", body: #"{"session_id": "shape-t"}"#,
                 json: #"{"message": "Session closed", "messages_cleared": 2, "session_existed": true, "session_id": "shape-t", "success": true, "timestamp": "<number>"}"#),
            Case(method: "POST", path: "/api/rag-llm/close", body: #"{"session_id": "shape-none"}"#,
                 json: #"{"message": "Session closed (it had no history)", "messages_cleared": 0, "session_existed": false, "session_id": "shape-none", "success": true, "timestamp": "<number>"}"#),
            Case(path: "/admin/plugins", headers: admin, json: #"{"generation": 1, "plugins": {"<each>": \#(row)}}"#),
            Case(method: "POST", path: "/admin/reload", headers: admin,
                 json: #"{"conflicts": [], "errors": [], "failed": [], "generation": 2, "loaded": {"<each>": {"file": "<string>", "name": "<string>", "role": "<string>", "state": "<string>", "reason?": "<string>"}}, "ok": true, "restart_required": [], "warnings": {"<each>": "<string>"}}"#),
            Case(path: "/readyz", json: #"{"generation": 2, "status": "ready", \#(readyStores)}"#),
            // Errors: {"error": message} with the status, the request id and (for an allowed origin) CORS headers.
            Case(method: "POST", path: "/api/rag-llm/query", body: "{}", status: 400, json: #"{"error": "missing required field 'text_user_msg'"}"#),
            Case(method: "POST", path: "/api/rag-llm/query", body: "{not json", status: 400, json: #"{"error": "request body is not valid JSON"}"#),
            Case(method: "POST", path: "/api/rag-llm/query", body: "", status: 400, json: #"{"error": "request body is empty; expected a JSON object"}"#),
            Case(method: "POST", path: "/api/rag-llm/query", body: "[1]", status: 400, json: #"{"error": "request body must be a JSON object"}"#),
            Case(method: "POST", path: "/api/rag-llm/query", body: #"{"text_user_msg": "hi", "include_history": 1}"#, status: 400,
                 json: #"{"error": "'include_history' must be true or false"}"#),
            Case(method: "POST", path: "/api/rag-llm/query", body: #"{"text_user_msg": "hi", "session_id": 7}"#, status: 400,
                 json: #"{"error": "'session_id' must be a string"}"#),
            Case(method: "POST", path: "/api/rag-llm/convert-tone", body: #"{"text": "hi", "stream": "no"}"#, status: 400,
                 json: #"{"error": "'stream' must be true or false"}"#),
            Case(method: "POST", path: "/api/rag-llm/convert-tone", body: #"{"tone": "x"}"#, status: 400, json: #"{"error": "missing required field 'text'"}"#),
            Case(method: "POST", path: "/api/rag-llm/close", body: #"{"session_id": null}"#, status: 400, json: #"{"error": "missing required field 'session_id'"}"#),
            Case(method: "POST", path: "/api/rag-llm/query", body: #"{"text_user_msg": "\#(String(repeating: "x", count: 4200))"}"#, status: 413,
                 json: #"{"error": "request body is larger than 4096 bytes"}"#),
            Case(method: "POST", path: "/api/rag-llm/query", body: "{}", headers: ["Origin: https://kiosk.example"], status: 400,
                 json: #"{"error": "missing required field 'text_user_msg'"}"#,
                 responseHeaders: ["access-control-allow-origin": "https://kiosk.example", "vary": "Origin"]),
            Case(method: "POST", path: "/api/rag-llm/close", body: #"{"session_id": "x"}"#, headers: ["Origin: https://evil.example"], status: 403,
                 json: #"{"error": "origin https://evil.example is not allowed (cors_origins)"}"#),
            Case(path: "/nope/here", status: 404, json: #"{"error": "no route for GET /nope/here"}"#),
            Case(method: "PUT", path: "/livez", status: 404, json: #"{"error": "no route for PUT /livez"}"#),
            Case(path: "/admin/plugins", status: 401, json: #"{"error": "admin endpoints need 'Authorization: Bearer <api key>'"}"#),
            // Two questions a minute per session: the third is refused with Retry-After.
            Case(method: "POST", path: "/api/rag-llm/query", body: #"{"text_user_msg": "hi", "session_id": "shape-rl"}"#,
                 contentType: "text/plain; charset=utf-8"),
            Case(method: "POST", path: "/api/rag-llm/query", body: #"{"text_user_msg": "hi", "session_id": "shape-rl"}"#,
                 contentType: "text/plain; charset=utf-8"),
            Case(method: "POST", path: "/api/rag-llm/query", body: #"{"text_user_msg": "hi", "session_id": "shape-rl"}"#, status: 429,
                 json: #"{"error": "<string>"}"#, responseHeaders: ["retry-after": nil]),
        ]
        try check(cases, on: s, requestIDs: true)
    }

    func testDescriptionServiceShapes() throws {
        let dir = TestPlugins.makeDirectory()
        for file in try FileManager.default.contentsOfDirectory(atPath: manifests) where file.hasSuffix(".toml") {
            try FileManager.default.copyItem(atPath: "\(manifests)/\(file)", toPath: "\(dir)/\(file)")
        }
        let poolFile = "\(dir)/pool.json"
        try Data(#"["an elderly man with a walking stick"]"#.utf8).write(to: URL(fileURLWithPath: poolFile))
        let describer = try String(contentsOfFile: "\(dir)/describer-random.toml", encoding: .utf8)
            .replacingOccurrences(of: "# pool_file = \"/etc/tonehost/descriptions.json\"", with: "pool_file = \"\(poolFile)\"")
        try describer.write(toFile: "\(dir)/describer-random.toml", atomically: true, encoding: .utf8)
        let db = NSTemporaryDirectory() + "tonehost-shape-\(UUID().uuidString.prefix(8)).db"
        let d = try ServerProcess(["describe-server", "--manifests", dir, "--db", db])
        defer { d.stop() }
        let seen = "an elderly man with a walking stick"
        let cases: [Case] = [
            Case(path: "/health", json: #"{"describer": "<string>", "status": "healthy", "timestamp": "<number>"}"#),
            Case(path: "/sessions", json: #"{"active_sessions": [], "total_sessions": 0}"#),
            Case(path: "/visual-context/kiosk-9", json: #"{"available": true, "sessionid": "kiosk-9", "visual_context": "\#(seen)"}"#),
            Case(path: "/sessions",
                 json: #"{"active_sessions": [{"has_visual_context": true, "sessionid": "kiosk-9", "vision_enabled": true}], "total_sessions": 1}"#),
            Case(path: "/api/simulator/pool",
                 json: #"{"active_sessions": 1, "pool": ["\#(seen)"], "pool_size": 1, "success": true, "timestamp": "<number>"}"#),
            Case(path: "/api/get-user-description", json: #"{"success": true, "timestamp": "<number>", "user_description": "\#(seen)"}"#),
            Case(path: "/nope", status: 404, json: #"{"error": "no route for GET /nope"}"#),
        ]
        try check(cases, on: d, requestIDs: false)
    }

    /// `requestIDs`: the server answers `X-Request-ID` (the main API does, the description service does not).
    private func check(_ cases: [Case], on server: ServerProcess, requestIDs: Bool) throws {
        for c in cases {
            let name = "\(c.method) \(c.path)"
            let r = try HTTP.send(server.url + c.path, method: c.method, body: c.body.map { Data($0.utf8) }, timeout: 60, headers: c.headers)
            XCTAssertEqual(r.status, c.status, "\(name): \(r.text)")
            XCTAssertEqual(r.headers["content-type"], c.contentType, name)
            XCTAssertEqual(r.headers["x-request-id"] != nil, requestIDs, "\(name): X-Request-ID")
            for (header, value) in c.responseHeaders {
                XCTAssertNotNil(r.headers[header], "\(name): no \(header)")
                if let value { XCTAssertEqual(r.headers[header], value, name) }
            }
            guard let json = c.json else {
                XCTAssertEqual(r.text.components(separatedBy: "\n").last(where: { !$0.isEmpty }), "END_FLAG", "\(name): \(r.text)")
                continue
            }
            let expected = try JSONSerialization.jsonObject(with: Data(json.utf8))
            guard let actual = try? JSONSerialization.jsonObject(with: r.body, options: [.fragmentsAllowed]) else {
                XCTFail("\(name): not JSON: \(r.text)")
                continue
            }
            let problems = Shape.mismatches(actual, expected, at: "$")
            XCTAssertTrue(problems.isEmpty, "\(name): \(problems.joined(separator: "; ")) in \(r.text)")
            // Keys sorted and slashes unescaped, as every body of this API is written.
            XCTAssertEqual(r.text, Shape.canonical(actual), "\(name): the bytes are not the canonical encoding")
        }
    }
}

/// Matching a parsed JSON value against an expectation (syntax: ContractShapeTests).
enum Shape {
    enum Kind: Equatable { case null, bool, int, float, string, array, object }

    static func kind(_ v: Any) -> Kind {
        if v is NSNull { return .null }
        if let n = v as? NSNumber, !(v is String) {
            switch String(cString: n.objCType) {
            case "c", "B": return .bool
            case "d", "f": return .float
            default: return .int
            }
        }
        if v is String { return .string }
        if v is [Any] { return .array }
        return .object
    }

    static func mismatches(_ actual: Any, _ expected: Any, at path: String) -> [String] {
        let k = kind(actual)
        if let placeholder = expected as? String, placeholder.hasPrefix("<"), placeholder.hasSuffix(">") {
            let ok: Bool
            switch placeholder {
            case "<string>": ok = k == .string
            case "<int>": ok = k == .int
            case "<number>": ok = k == .int || k == .float
            case "<bool>": ok = k == .bool
            default: ok = (actual as? String) == placeholder
            }
            return ok ? [] : ["\(path): \(k) is not \(placeholder)"]
        }
        if let e = expected as? [String: Any], let each = e["<each>"], e.count == 1 {
            guard let items = actual as? [Any] else { return ["\(path): \(k), expected an array"] }
            return items.enumerated().flatMap { mismatches($0.element, each, at: "\(path)[\($0.offset)]") }
        }
        switch kind(expected) {
        case .object:
            let e = expected as! [String: Any]
            guard let a = actual as? [String: Any], k == .object else { return ["\(path): \(k), expected an object"] }
            var out: [String] = []
            let wanted = Set(e.keys.map { $0.hasSuffix("?") ? String($0.dropLast()) : $0 })
            for extra in Set(a.keys).subtracting(wanted).sorted() { out.append("\(path).\(extra): unexpected key") }
            for (key, value) in e.sorted(by: { $0.key < $1.key }) {
                let optional = key.hasSuffix("?")
                let name = optional ? String(key.dropLast()) : key
                guard let v = a[name] else {
                    if !optional { out.append("\(path).\(name): missing") }
                    continue
                }
                out += mismatches(v, value, at: "\(path).\(name)")
            }
            return out
        case .array:
            let e = expected as! [Any]
            guard let a = actual as? [Any], k == .array else { return ["\(path): \(k), expected an array"] }
            guard a.count == e.count else { return ["\(path): \(a.count) elements, expected \(e.count)"] }
            return zip(a, e).enumerated().flatMap { mismatches($0.element.0, $0.element.1, at: "\(path)[\($0.offset)]") }
        case let ek:
            guard k == ek, same(actual, expected) else {
                return ["\(path): \(actual) (\(k)), expected \(expected) (\(ek))"]
            }
            return []
        }
    }

    /// Equal scalars of one kind.
    static func same(_ a: Any, _ b: Any) -> Bool {
        switch (a, b) {
        case (is NSNull, is NSNull): return true
        case let (x as String, y as String): return x == y
        case let (x as NSNumber, y as NSNumber): return x == y
        default: return false
        }
    }

    /// The value written back with sorted keys and unescaped slashes.
    static func canonical(_ value: Any) -> String {
        let data = (try? JSONSerialization.data(withJSONObject: value, options: [.sortedKeys, .withoutEscapingSlashes, .fragmentsAllowed])) ?? Data()
        return String(decoding: data, as: UTF8.self)
    }
}
