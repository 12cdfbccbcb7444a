import Foundation
import XCTest

/// CORS allow-list, API keys on the API, per-IP and per-session rate limits, over real HTTP.
final class SecurityTests: XCTestCase {
    let manifests = TestPlugins.repoRoot.appendingPathComponent("plugin-manifests").path

    func start(_ env: [String: String]) throws -> ServerProcess {
        let db = NSTemporaryDirectory() + "tonehost-sec-\(UUID().uuidString.prefix(8)).db"
        return try ServerProcess(["serve", "--manifests", manifests, "--db", db], environment: env)
    }

    func request(_ url: String, method: String = "POST", json: Any? = ["text_user_msg": "What is ITRI?"], headers: [String]) throws -> HTTP.Response {
        try HTTP.send(url, method: method, body: json.map { try! JSONSerialization.data(withJSONObject: $0) }, timeout: 20, headers: headers)
    }

    func testCORSAllowList() throws {
        let s = try start(["TONEHOST_CORS_ORIGINS": "https://kiosk.example"])
        defer { s.stop() }
        let ok = try request(s.url + "/api/rag-llm/query", headers: ["Origin: https://kiosk.example"])
        XCTAssertEqual(ok.headers["access-control-allow-origin"], "https://kiosk.example")
        XCTAssertTrue(ok.headers["access-control-expose-headers"]?.contains("X-Tone") ?? false)
        let other = try request(s.url + "/api/rag-llm/query", headers: ["Origin: https://evil.example"])
        XCTAssertNil(other.headers["access-control-allow-origin"])
        XCTAssertEqual(other.status, 403, "a foreign origin is refused on every method, not only at preflight")
        let preflight = try request(s.url + "/api/rag-llm/query", method: "OPTIONS", json: nil,
                                    headers: ["Origin: https://kiosk.example", "Access-Control-Request-Method: POST"])
        XCTAssertEqual(preflight.status, 204)
        XCTAssertTrue(preflight.headers["access-control-allow-methods"]?.contains("POST") ?? false)
        let denied = try request(s.url + "/api/rag-llm/query", method: "OPTIONS", json: nil,
                                 headers: ["Origin: https://evil.example", "Access-Control-Request-Method: POST"])
        XCTAssertEqual(denied.status, 403)
        // Errors carry CORS headers too, so a browser client can read them.
        let bad = try request(s.url + "/api/rag-llm/query", json: [:], headers: ["Origin: https://kiosk.example"])
        XCTAssertEqual(bad.status, 400)
        XCTAssertEqual(bad.headers["access-control-allow-origin"], "https://kiosk.example")
    }

    func testAPIKeyRequiredWhenConfigured() throws {
        let s = try start(["TONEHOST_API_KEYS": "k-one,k-two", "TONEHOST_REQUIRE_API_KEY": "true"])
        defer { s.stop() }
        XCTAssertEqual(try request(s.url + "/api/rag-llm/query", headers: []).status, 401)
        XCTAssertEqual(try request(s.url + "/api/rag-llm/query", headers: ["Authorization: Bearer nope"]).status, 401)
        let ok = try request(s.url + "/api/rag-llm/query", headers: ["Authorization: Bearer k-two"])
        XCTAssertEqual(ok.status, 200)
        XCTAssertTrue(ok.text.hasSuffix("END_FLAG\n"))
        XCTAssertEqual(try HTTP.get(s.url + "/health").status, 200, "probes stay open")
        XCTAssertFalse(s.log.contains("k-two"), "keys never reach the log")
    }

    func testRateLimitsPerClientAndPerSession() throws {
        let s = try start(["TONEHOST_RATE_LIMIT_PER_IP": "5"])
        var statuses: [Int] = []
        for i in 0..<7 { statuses.append(try request(s.url + "/api/rag-llm/query", json: ["text_user_msg": "What is ITRI?", "session_id": "s\(i)"], headers: []).status) }
        XCTAssertEqual(statuses.prefix(5).allSatisfy { $0 == 200 }, true, "\(statuses)")
        let limited = try request(s.url + "/api/rag-llm/query", headers: [])
        XCTAssertEqual(limited.status, 429)
        XCTAssertNotNil(limited.headers["retry-after"])
        XCTAssertTrue((limited.json["error"] as? String ?? "").contains("rate limit"))
        XCTAssertEqual(try HTTP.get(s.url + "/health").status, 200, "probes are not limited")
        s.stop()

        let t = try start(["TONEHOST_RATE_LIMIT_PER_SESSION": "2"])
        defer { t.stop() }
        let a = try (0..<3).map { _ in try request(t.url + "/api/rag-llm/query", json: ["text_user_msg": "What is ITRI?", "session_id": "kiosk-a"], headers: []).status }
        XCTAssertEqual(a, [200, 200, 429])
        XCTAssertEqual(try request(t.url + "/api/rag-llm/query", json: ["text_user_msg": "What is ITRI?", "session_id": "kiosk-b"], headers: []).status, 200)
    }
}
