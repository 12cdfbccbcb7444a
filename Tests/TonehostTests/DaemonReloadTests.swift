import Foundation
import XCTest

/// SIGHUP / POST /admin/reload under load: the describer is swapped (test describer → the HTTP
/// VLM client pointed at a fake) with 20 streams in flight, none of which fails; a broken
/// required manifest leaves the running generation serving.
final class DaemonReloadTests: XCTestCase {
    func testSighupSwapsTheDescriberUnderLoadAndABrokenManifestKeepsTheOldGeneration() async throws {
        let vlm = try await FakeVLM(.describe("a young child in a school uniform"))
        defer { vlm.stop() }
        // Each answer streams 20 words, 50 ms apart: about a second in flight.
        let dir = try TestPlugins.standardSet(llm: ["delay_ms": 50, "text": words(20)])
        let db = NSTemporaryDirectory() + "tonehost-reload-\(UUID().uuidString.prefix(8)).db"
        let server = try ServerProcess(["serve", "--manifests", dir, "--db", db], healthPath: "/readyz")
        defer { server.stop() }

        // The test describer says "an elderly man with a walking stick" → elder_friendly.
        let before = try await streamingQuery(server, session: "before")
        XCTAssertTrue(completed(before), before.text)
        XCTAssertEqual(before.headers["x-tone"], "elder_friendly")

        // 20 streams in flight, then swap the describer manifest and SIGHUP.
        async let inFlight: [HTTP.Response] = withThrowingTaskGroup(of: HTTP.Response.self) { group in
            for i in 0..<20 { group.addTask { try await streamingQuery(server, session: "load-\(i)") } }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        try await Task.sleep(for: .milliseconds(300))
        try TestPlugins.write(.init(file: "describer.toml", name: "vlm-client", kind: "describer", library: "libtonehost-vlm-client.so",
                                    config: ["url": vlm.url, "timeout_ms": 2000]), to: dir)
        server.signal(SIGHUP)
        let responses = try await inFlight
        XCTAssertEqual(responses.count, 20)
        XCTAssertEqual(responses.filter { !completed($0) }.count, 0, "failed: \(responses.filter { !completed($0) }.map(\.text))")
        let reloaded = await server.waitForLog("msg=\"reload done\"")
        XCTAssertTrue(reloaded, server.log)

        // After the reload the fake VLM describes the visitor → the selector picks casual_friendly.
        let after = try await streamingQuery(server, session: "after")
        XCTAssertTrue(completed(after), after.text)
        XCTAssertEqual(after.headers["x-tone"], "casual_friendly", server.log)
        XCTAssertGreaterThan(vlm.callCount, 0)
        let ready = try await HTTP.getAsync(server.url + "/readyz")
        XCTAssertEqual(ready.json["generation"] as? Int, 2)

        // A required plugin whose library is missing: the reload fails, generation 2 keeps serving.
        try TestPlugins.write(.init(file: "broken.toml", name: "broken", kind: "tone", library: "/nonexistent/libbroken.so",
                                    extra: "required = true\ntone_category = \"pirate_friendly\""), to: dir)
        server.signal(SIGHUP)
        let failed = await server.waitForLog("msg=\"reload failed; the running plugins stay\"")
        XCTAssertTrue(failed, server.log)
        XCTAssertTrue(server.log.contains("libbroken.so"), "the log says why")
        let still = try await streamingQuery(server, session: "still")
        XCTAssertTrue(completed(still), still.text)
        XCTAssertEqual(still.headers["x-tone"], "casual_friendly")
        let stillReady = try await HTTP.getAsync(server.url + "/readyz")
        XCTAssertEqual(stillReady.status, 200)
        XCTAssertEqual(stillReady.json["generation"] as? Int, 2)
    }

    func testAdminReloadNeedsABearerKeyAndReportsWhatLoaded() async throws {
        let dir = try TestPlugins.standardSet()
        let db = NSTemporaryDirectory() + "tonehost-admin-\(UUID().uuidString.prefix(8)).db"
        let server = try ServerProcess(["serve", "--manifests", dir, "--db", db],
                                       environment: ["TONEHOST_API_KEYS": "k-one, s3cr3t-key-two"], healthPath: "/readyz")
        defer { server.stop() }
        let url = server.url + "/admin/reload"
        let anonymous = try await DaemonHTTP.send(url, method: "POST")
        XCTAssertEqual(anonymous.status, 401, anonymous.body)
        let wrong = try await DaemonHTTP.send(url, method: "POST", headers: ["Authorization: Bearer nope"])
        XCTAssertEqual(wrong.status, 401)
        let ok = try await DaemonHTTP.send(url, method: "POST", headers: ["Authorization: Bearer s3cr3t-key-two"])
        XCTAssertEqual(ok.status, 200, ok.body)
        let json = try JSONSerialization.jsonObject(with: Data(ok.body.utf8)) as? [String: Any] ?? [:]
        XCTAssertEqual(json["ok"] as? Bool, true)
        XCTAssertEqual(json["generation"] as? Int, 2)
        XCTAssertEqual((json["loaded"] as? [[String: Any]])?.count, 7, ok.body)  // describer, selector, 3 tones, llm, retriever

        // A broken required manifest: 409 with the reason, and generation 2 stays.
        try TestPlugins.write(.init(file: "zz-broken.toml", name: "broken", kind: "llm", library: "/nonexistent/libbroken.so",
                                    extra: "required = true"), to: dir)
        let bad = try await DaemonHTTP.send(url, method: "POST", headers: ["Authorization: Bearer k-one"])
        XCTAssertEqual(bad.status, 409, bad.body)
        XCTAssertTrue(bad.body.contains("libbroken.so"), bad.body)
        let ready = try await HTTP.getAsync(server.url + "/readyz")
        XCTAssertEqual(ready.json["generation"] as? Int, 2)

        // Secrets never reach the log.
        XCTAssertFalse(server.log.contains("s3cr3t-key-two"))
        XCTAssertTrue(server.log.contains("msg=\"reload started\""), server.log)
    }
}
