import Foundation
import XCTest

/// Logs to a size-rotated file in logfmt, and the overall request timeout.
final class DaemonLoggingTests: XCTestCase {
    func testLogFileRotatesBySizeAndKeepsLogfmtLines() async throws {
        let dir = try TestPlugins.standardSet()
        let base = NSTemporaryDirectory() + "tonehost-logs-\(UUID().uuidString.prefix(8))"
        let log = base + "/tonehost.log"
        let server = try ServerProcess(["serve", "--manifests", dir, "--db", base + "/t.db", "--log-file", log,
                                        "--log-max-bytes", "4096", "--log-keep", "2", "--log-level", "debug"], healthPath: "/readyz")
        defer { server.stop() }
        for i in 0..<30 {
            let r = try await streamingQuery(server, session: "log-\(i)")
            XCTAssertTrue(completed(r))
        }
        let files = try FileManager.default.contentsOfDirectory(atPath: base).filter { $0.hasPrefix("tonehost.log") }.sorted()
        XCTAssertEqual(files, ["tonehost.log", "tonehost.log.1", "tonehost.log.2"], "rotated and capped at --log-keep")
        for file in files {
            let text = try String(contentsOfFile: base + "/" + file, encoding: .utf8)
            let size = (try FileManager.default.attributesOfItem(atPath: base + "/" + file)[.size] as? Int) ?? 0
            XCTAssertLessThanOrEqual(size, 4096 + 1024, file)
            for line in text.split(separator: "\n") {
                XCTAssertTrue(line.hasPrefix("ts=") && line.contains(" level=") && line.contains(" msg="), "not logfmt: \(line)")
            }
        }
        XCTAssertFalse(server.log.contains("msg="), "with --log-file nothing goes to stderr")
    }

    func testRequestTimeoutEndsTheStreamWithAnErrorLine() async throws {
        let dir = try TestPlugins.standardSet(llm: ["delay_ms": 100, "text": words(50)])
        let db = NSTemporaryDirectory() + "tonehost-timeout-\(UUID().uuidString.prefix(8)).db"
        let server = try ServerProcess(["serve", "--manifests", dir, "--db", db, "--request-timeout-ms", "600"], healthPath: "/readyz")
        defer { server.stop() }
        let r = try await streamingQuery(server, session: "slow")
        XCTAssertEqual(r.status, 200)
        let lines = r.text.components(separatedBy: "\n").filter { !$0.isEmpty }
        XCTAssertEqual(lines.suffix(2), ["ERROR: request timed out", "END_FLAG"], r.text)
        XCTAssertLessThan(r.total, 3)
        let metrics = try await HTTP.getAsync(server.url + "/metrics")
        XCTAssertTrue(metrics.text.contains("tonehost_request_timeouts_total 1"), metrics.text)
        // The server is fine afterwards.
        let ready = try await HTTP.getAsync(server.url + "/readyz")
        XCTAssertEqual(ready.status, 200)
    }
}
