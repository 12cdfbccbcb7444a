import Foundation
import XCTest

/// `/metrics` is valid Prometheus text and its series move as requests are served.
final class MetricsTests: XCTestCase {
    /// A minimal Prometheus text-format parser: `# HELP`/`# TYPE` lines and
    /// `name{label="value",…} number` samples; fails on anything else.
    struct Exposition {
        var types: [String: String] = [:]
        var samples: [(name: String, labels: [String: String], value: Double)] = []

        init(_ text: String) throws {
            for line in text.split(separator: "\n", omittingEmptySubsequences: true).map(String.init) {
                if line.hasPrefix("# HELP ") { continue }
                if line.hasPrefix("# TYPE ") {
                    let parts = line.split(separator: " ").map(String.init)
                    guard parts.count == 4, ["counter", "gauge", "histogram", "summary", "untyped"].contains(parts[3]) else {
                        throw Problem("bad TYPE line: \(line)")
                    }
                    types[parts[2]] = parts[3]
                    continue
                }
                guard !line.hasPrefix("#") else { continue }
                samples.append(try Self.sample(line))
            }
        }

        static func sample(_ line: String) throws -> (String, [String: String], Double) {
            var rest = Substring(line)
            let name = rest.prefix { $0.isLetter || $0.isNumber || $0 == "_" || $0 == ":" }
            guard let first = name.first, first.isLetter || first == "_" else { throw Problem("bad metric name: \(line)") }
            rest = rest.dropFirst(name.count)
            var labels: [String: String] = [:]
            if rest.first == "{" {
                rest = rest.dropFirst()
                while rest.first != "}" {
                    let key = rest.prefix { $0 != "=" }
                    rest = rest.dropFirst(key.count)
                    guard rest.hasPrefix("=\"") else { throw Problem("bad label in: \(line)") }
                    rest = rest.dropFirst(2)
                    var value = ""
                    while let c = rest.first, c != "\"" {
                        if c == "\\" { rest = rest.dropFirst(); value.append(rest.first ?? "\\") } else { value.append(c) }
                        rest = rest.dropFirst()
                    }
                    guard rest.first == "\"" else { throw Problem("unterminated label value in: \(line)") }
                    rest = rest.dropFirst()
                    labels[String(key)] = value
                    if rest.first == "," { rest = rest.dropFirst() }
                    guard !rest.isEmpty else { throw Problem("unterminated labels in: \(line)") }
                }
                rest = rest.dropFirst()
            }
            guard rest.first == " ", let value = Double(rest.dropFirst().trimmingCharacters(in: .whitespaces).replacingOccurrences(of: "+Inf", with: "inf")) else {
                throw Problem("bad sample value: \(line)")
            }
            return (String(name), labels, value)
        }

        /// Sum of a series' samples whose labels include `match`.
        func value(_ name: String, _ match: [String: String] = [:]) -> Double {
            samples.filter { s in s.name == name && match.allSatisfy { s.labels[$0.key] == $0.value } }.reduce(0) { $0 + $1.value }
        }

        /// The TYPE a sample's family was declared with (`x_bucket` → histogram `x`).
        func family(of name: String) -> String? {
            if let t = types[name] { return t }
            for suffix in ["_bucket", "_sum", "_count"] where name.hasSuffix(suffix) {
                if let t = types[String(name.dropLast(suffix.count))], t == "histogram" || t == "summary" { return t }
            }
            return nil
        }
    }

    struct Problem: Error, CustomStringConvertible {
        let description: String
        init(_ d: String) { description = d }
    }

    func scrape(_ server: ServerProcess) async throws -> Exposition {
        let r = try await HTTP.getAsync(server.url + "/metrics")
        XCTAssertEqual(r.status, 200)
        XCTAssertTrue(r.headers["content-type"]?.hasPrefix("text/plain") == true)
        let e = try Exposition(r.text)
        for s in e.samples { XCTAssertNotNil(e.family(of: s.name), "sample without TYPE: \(s.name)") }
        return e
    }

    func testMetricsParseAndCountersMoveWithRequests() async throws {
        let dir = try TestPlugins.standardSet(llm: ["delay_ms": 5])
        let db = NSTemporaryDirectory() + "tonehost-metrics-\(UUID().uuidString.prefix(8)).db"
        let server = try ServerProcess(["serve", "--manifests", dir, "--db", db], healthPath: "/readyz")
        defer { server.stop() }
        let route = ["route": "/api/rag-llm/query-with-tone", "status": "200"]
        let before = try await scrape(server)
        for i in 0..<5 {
            let r = try await streamingQuery(server, session: "m-\(i)")
            XCTAssertTrue(completed(r), r.text)
        }
        let bad = try await HTTP.postAsync(server.url + "/api/rag-llm/query", json: ["session_id": "x"])
        XCTAssertEqual(bad.status, 400)
        try await Task.sleep(for: .milliseconds(200))  // the last stream's summary is recorded after END_FLAG
        let after = try await scrape(server)

        XCTAssertEqual(after.value("tonehost_http_requests_total", route) - before.value("tonehost_http_requests_total", route), 5)
        XCTAssertEqual(after.value("tonehost_http_requests_total", ["route": "/api/rag-llm/query", "status": "400"]), 1)
        XCTAssertEqual(after.types["tonehost_http_request_duration_seconds"], "histogram")
        XCTAssertGreaterThanOrEqual(after.value("tonehost_http_request_duration_seconds_count", route), 5)
        XCTAssertEqual(after.value("tonehost_tone_selected_total", ["tone": "elder_friendly"]), 5)
        for stage in ["description", "retrieval", "generation", "selection", "tone", "total"] {
            XCTAssertEqual(after.value("tonehost_stage_duration_seconds_count", ["stage": stage]), 5, stage)
        }
        XCTAssertEqual(after.value("tonehost_time_to_first_byte_seconds_count"), 5)
        XCTAssertEqual(after.value("tonehost_answer_streams_in_flight"), 0)
        XCTAssertEqual(after.value("tonehost_plugin_generation"), 1)
        // Histogram buckets are cumulative and +Inf equals the count.
        let buckets = after.samples.filter { $0.name == "tonehost_stage_duration_seconds_bucket" && $0.labels["stage"] == "total" }
        XCTAssertEqual(buckets.map(\.value), buckets.map(\.value).sorted())
        XCTAssertEqual(buckets.first { $0.labels["le"] == "+Inf" }?.value, 5)

        // Reloads are counted.
        server.signal(SIGHUP)
        let reloaded = await server.waitForLog("msg=\"reload done\"")
        XCTAssertTrue(reloaded)
        let later = try await scrape(server)
        XCTAssertEqual(later.value("tonehost_reloads_total", ["result": "ok"]), 1)
        XCTAssertEqual(later.value("tonehost_plugin_generation"), 2)
    }

    func testDescriberFallbacksAreCounted() async throws {
        let dir = try TestPlugins.standardSet(describer: ["mode": "hang", "delay_ms": 3000], describerExtra: "deadline_ms = 200")
        let db = NSTemporaryDirectory() + "tonehost-fallback-\(UUID().uuidString.prefix(8)).db"
        let server = try ServerProcess(["serve", "--manifests", dir, "--db", db], healthPath: "/readyz")
        defer { server.stop() }
        let r = try await streamingQuery(server, session: "f")
        XCTAssertTrue(completed(r), r.text)
        XCTAssertEqual(r.headers["x-tone"], "casual_friendly")
        try await Task.sleep(for: .milliseconds(200))
        let e = try await scrape(server)
        XCTAssertEqual(e.value("tonehost_describer_fallbacks_total", ["reason": "timeout"]), 1, "\(e.samples.filter { $0.name.contains("fallback") })")
        XCTAssertEqual(e.value("tonehost_plugin_errors_total", ["plugin": "test-describer"]), 1, "plugin errors are counted by plugin")
        // Every line of the request carries its id.
        let lines = server.log.split(separator: "\n").filter { $0.contains("describer failed") }
        XCTAssertFalse(lines.isEmpty, server.log)
        XCTAssertTrue(lines.allSatisfy { $0.contains(" request=") }, server.log)
    }
}
