import Foundation
import XCTest

/// The observability kit: one access-log line per request, `# HELP` for every family,
/// `process_*` series, and the known series present at zero before any request.
/// (The alert rules and dashboard are checked by scripts/check-deploy.sh with promtool.)
final class ObservabilityKitTests: XCTestCase {
    let manifests = TestPlugins.repoRoot.appendingPathComponent("plugin-manifests").path

    func start(_ environment: [String: String] = [:]) throws -> ServerProcess {
        let db = NSTemporaryDirectory() + "tonehost-obs-\(UUID().uuidString.prefix(8)).db"
        return try ServerProcess(["serve", "--manifests", manifests, "--db", db, "--auto-init"], environment: environment, healthPath: "/readyz")
    }

    func accessLines(_ s: ServerProcess) -> [String] {
        s.log.split(separator: "\n").map(String.init).filter { $0.contains(" msg=access ") }
    }

    /// A logfmt line's `key=value` (bare or quoted) pairs.
    func fields(_ line: String) -> [String: String] {
        var out: [String: String] = [:]
        let pattern = try! NSRegularExpression(pattern: #"([a-z_]+)=("(?:[^"\\]|\\.)*"|\S+)"#)
        for m in pattern.matches(in: line, range: NSRange(line.startIndex..., in: line)) {
            let key = String(line[Range(m.range(at: 1), in: line)!])
            var value = String(line[Range(m.range(at: 2), in: line)!])
            if value.hasPrefix("\"") { value = String(value.dropFirst().dropLast()) }
            out[key] = value
        }
        return out
    }

    func testOneAccessLinePerRequestWithoutTheQuestion() async throws {
        let s = try start()
        defer { s.stop() }
        let marker = "zebra-\(UUID().uuidString.prefix(6))"
        let ok = try await HTTP.postAsync(s.url + "/api/rag-llm/query-with-tone",
                                          json: ["text_user_msg": "What is ITRI? \(marker)", "session_id": "acc",
                                                 "user_description": "an elderly man with a walking stick"])
        XCTAssertTrue(completed(ok), ok.text)
        let bad = try await HTTP.postAsync(s.url + "/api/rag-llm/query", json: ["session_id": marker])
        XCTAssertEqual(bad.status, 400)
        let missing = try await HTTP.getAsync(s.url + "/nope-\(marker)")
        XCTAssertEqual(missing.status, 404)
        let history = try await HTTP.getAsync(s.url + "/api/rag-llm/sessions/acc/history")
        XCTAssertEqual(history.status, 200)
        try await Task.sleep(for: .milliseconds(300))

        let lines = accessLines(s).filter { !$0.contains("route=/readyz") }  // the start-up probe's lines
        XCTAssertEqual(lines.count, 4, "one line per request:\n\(lines.joined(separator: "\n"))")
        XCTAssertFalse(lines.contains { $0.contains(marker) }, "no question text, body value or raw path in the access log")
        let byRoute = Dictionary(lines.map { (fields($0)["route"] ?? "?", fields($0)) }, uniquingKeysWith: { a, _ in a })
        let query = byRoute["/api/rag-llm/query-with-tone"] ?? [:]
        XCTAssertEqual(query["level"], "info")
        XCTAssertEqual(query["method"], "POST")
        XCTAssertEqual(query["status"], "200")
        XCTAssertEqual(query["tone"], "elder_friendly")
        XCTAssertEqual(query["request"], ok.headers["x-request-id"])
        XCTAssertEqual(Int(query["bytes"] ?? ""), ok.body.count, "bytes are the streamed body's")
        XCTAssertNotNil(Double(query["duration_ms"] ?? ""))
        XCTAssertEqual(byRoute["/api/rag-llm/query"]?["status"], "400")
        XCTAssertEqual(byRoute["NotFound"]?["status"], "404")
        XCTAssertEqual(byRoute["/api/rag-llm/sessions/{id}/history"]?["status"], "200", "the route pattern, not the path")
    }

    func testAccessLogCanBeTurnedOff() async throws {
        let s = try start(["TONEHOST_ACCESS_LOG": "false"])
        defer { s.stop() }
        _ = try await HTTP.getAsync(s.url + "/health")
        try await Task.sleep(for: .milliseconds(200))
        XCTAssertEqual(accessLines(s), [])
    }

    func testEveryFamilyHasHelpAndKnownSeriesStartAtZero() async throws {
        let s = try start()
        defer { s.stop() }
        let r = try await HTTP.getAsync(s.url + "/metrics")
        XCTAssertEqual(r.status, 200)
        let lines = r.text.split(separator: "\n").map(String.init)
        let typed = lines.filter { $0.hasPrefix("# TYPE ") }.map { $0.split(separator: " ")[2] }
        let helped = Set(lines.filter { $0.hasPrefix("# HELP ") }.map { $0.split(separator: " ")[2] })
        XCTAssertFalse(typed.isEmpty)
        for family in typed { XCTAssertTrue(helped.contains(family), "no # HELP for \(family)") }
        XCTAssertFalse(r.text.contains("no help text yet"), "every family has its own help text")
        let e = try MetricsTests.Exposition(r.text)
        for s in e.samples { XCTAssertNotNil(e.family(of: s.name), "sample without TYPE: \(s.name)") }

        XCTAssertGreaterThan(e.value("process_resident_memory_bytes"), 1_000_000)
        XCTAssertGreaterThan(e.value("process_virtual_memory_bytes"), 1_000_000)
        XCTAssertGreaterThan(e.value("process_open_fds"), 2)
        XCTAssertGreaterThan(e.value("process_max_fds"), e.value("process_open_fds"))
        XCTAssertGreaterThan(e.value("process_threads"), 1)
        XCTAssertGreaterThan(e.value("process_cpu_seconds_total"), 0)
        XCTAssertEqual(e.value("process_start_time_seconds"), Date().timeIntervalSince1970, accuracy: 120)

        func present(_ name: String, _ labels: [String: String]) -> Bool {
            e.samples.contains { sample in sample.name == name && labels.allSatisfy { sample.labels[$0.key] == $0.value } && sample.value == 0 }
        }
        for tone in ["child_friendly", "elder_friendly", "professional_friendly", "casual_friendly"] {
            XCTAssertTrue(present("tonehost_tone_selected_total", ["tone": tone]), tone)
        }
        for reason in ["timeout", "error", "empty", "no_describer"] {
            XCTAssertTrue(present("tonehost_describer_fallbacks_total", ["reason": reason]), reason)
        }
        for stage in ["description", "retrieval", "generation", "selection", "tone", "total"] {
            XCTAssertTrue(present("tonehost_stage_duration_seconds_count", ["stage": stage]), stage)
        }
        XCTAssertTrue(present("tonehost_http_requests_total", ["route": "/api/rag-llm/query-with-tone", "status": "200"]))
        XCTAssertTrue(present("tonehost_http_requests_total", ["route": "/v1/chat/completions", "status": "200"]))
        XCTAssertTrue(present("tonehost_answer_failures_total", [:]))
        XCTAssertTrue(present("tonehost_reloads_total", ["result": "failed"]))
    }

    func testKioskPageAndOpenAPIDocumentAreServed() throws {
        let s = try start()
        defer { s.stop() }
        let page = try HTTP.get(s.url + "/")
        XCTAssertEqual(page.status, 200)
        XCTAssertEqual(page.headers["content-type"], "text/html; charset=utf-8")
        XCTAssertTrue(page.text.contains("kiosk.js"))
        let js = try HTTP.get(s.url + "/kiosk.js")
        XCTAssertEqual(js.headers["content-type"], "text/javascript; charset=utf-8")
        XCTAssertTrue(js.text.contains("query-with-tone"))
        XCTAssertEqual(try HTTP.get(s.url + "/kiosk.css").status, 200)

        let spec = try HTTP.get(s.url + "/openapi.json")
        XCTAssertEqual(spec.status, 200)
        XCTAssertEqual(spec.json["openapi"] as? String, "3.1.0")
        let paths = (spec.json["paths"] as? [String: Any])?.keys.sorted() ?? []
        for path in ["/health", "/api/rag-llm/query", "/api/rag-llm/query-with-tone", "/api/rag-llm/convert-tone", "/api/rag-llm/init",
                     "/api/rag-llm/warmup", "/api/rag-llm/sessions/{session_id}/history", "/api/rag-llm/close", "/v1/models",
                     "/v1/chat/completions", "/livez", "/readyz", "/metrics", "/admin/plugins", "/admin/reload", "/", "/openapi.json"] {
            XCTAssertTrue(paths.contains(path), "\(path) not documented in \(paths)")
        }
    }

    /// `trace_log = true`: the request's span (Hummingbird's TracingMiddleware) and one span per
    /// pipeline stage, its children, as log lines in the trace a W3C `traceparent` named; off by default.
    func testTraceLogExportsTheRequestAndItsStageSpans() throws {
        let off = try start()
        _ = try HTTP.post(off.url + "/api/rag-llm/query", json: ["text_user_msg": "What is ITRI?"])
        XCTAssertFalse(off.log.contains(" msg=span "), off.log)
        off.stop()

        let s = try start(["TONEHOST_TRACE_LOG": "true"])
        defer { s.stop() }
        let trace = "4bf92f3577b34da6a3ce929d0e0e4736"
        let body = try JSONSerialization.data(withJSONObject: ["text_user_msg": "工研院在哪裡？", "session_id": "trace-1"])
        let r = try HTTP.send(s.url + "/api/rag-llm/query-with-tone", method: "POST", body: body, timeout: 30,
                              headers: ["Content-Type: application/json", "traceparent: 00-\(trace)-00f067aa0ba902b7-01"])
        XCTAssertEqual(r.status, 200, r.text)
        var spans: [[String: String]] = []
        for _ in 0..<50 {
            spans = s.log.split(separator: "\n").map(String.init).filter { $0.contains(" msg=span ") }.map(fields)
            if spans.contains(where: { $0["span"] == "tonehost.retrieval" }) && spans.contains(where: { $0["span"]?.hasPrefix("/api") == true }) { break }
            Thread.sleep(forTimeInterval: 0.1)
        }
        let request = try XCTUnwrap(spans.first { $0["span"]?.hasPrefix("/api/rag-llm/query-with-tone") == true }, "\(spans)")
        XCTAssertEqual(request["trace"], trace, "the request joined the caller's trace")
        XCTAssertEqual(request["parent"], "00f067aa0ba902b7")
        for stage in ["tonehost.retrieval", "tonehost.generation"] {
            let span = try XCTUnwrap(spans.first { $0["span"] == stage }, "\(stage) in \(spans)")
            XCTAssertEqual(span["trace"], trace, stage)
            XCTAssertEqual(span["parent"], request["id"], "\(stage) is a child of the request span")
            XCTAssertNotNil(Double(span["duration_ms"] ?? ""), stage)
        }
    }
}
