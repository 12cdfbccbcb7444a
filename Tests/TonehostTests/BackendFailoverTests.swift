import Foundation
import XCTest

/// Several instances of a backend without an external balancer: the VLM client spreads calls
/// over two fake VLMs; one is killed under load and no request loses its description.
final class BackendFailoverTests: XCTestCase {
    func testKillingOneOfTwoVLMsUnderLoadCostsNoDescription() async throws {
        // `a` is a process of its own, so that killing it is a real kill -9 (stopping an in-process
        // Hummingbird server under load trips NIO's "Deinited NIOAsyncWriter without calling
        // finish()" in the test process itself).
        let a = try ProcessVLM(text: "an elderly man with a walking stick")
        let b = try await FakeVLM(.describe("an elderly man with a walking stick"))
        defer { a.kill(); b.stop() }
        let dir = try TestPlugins.standardSet(llm: ["delay_ms": 5, "text": words(10)])
        try TestPlugins.write(.init(file: "describer.toml", name: "vlm-client", kind: "describer", library: "libtonehost-vlm-client.so",
                                    config: ["url": "\(a.url), \(b.url)", "endpoint_order": "spread", "timeout_ms": 1000,
                                             "eject_ms": 5000]), to: dir)
        let db = NSTemporaryDirectory() + "tonehost-failover-\(UUID().uuidString.prefix(8)).db"
        let server = try ServerProcess(["serve", "--manifests", dir, "--db", db], healthPath: "/readyz")
        defer { server.stop() }
        let url = server.url
        let stopAt = Date().addingTimeInterval(4)
        async let load: [HTTP.Response] = withThrowingTaskGroup(of: [HTTP.Response].self) { group in
            for v in 0..<20 {
                group.addTask {
                    var out: [HTTP.Response] = []
                    while Date() < stopAt {
                        out.append(try await HTTP.postAsync(url + "/api/rag-llm/query-with-tone",
                                                            json: ["text_user_msg": "What is ITRI?", "session_id": "failover-\(v)"]))
                    }
                    return out
                }
            }
            return try await group.reduce(into: []) { $0 += $1 }
        }
        try await Task.sleep(for: .seconds(1))
        XCTAssertGreaterThan(try a.callCount(), 0, "calls are spread over both instances")
        a.kill()
        let responses = try await load
        XCTAssertGreaterThan(responses.count, 40)
        let undescribed = responses.filter { !completed($0) || $0.headers["x-tone"] != "elder_friendly" }
        XCTAssertEqual(undescribed.count, 0, "answers without the description: \(undescribed.prefix(3).map { "\($0.headers["x-tone"] ?? "-") \($0.text)" })")
        // None waited on the dead instance for long: it refuses, the next instance answers at once.
        let slowest = responses.map(\.total).max() ?? 0
        XCTAssertLessThan(slowest, 1.0 + 2.0, "a request waited \(slowest) s")
        XCTAssertTrue(server.log.contains("trying the next instance"), server.log.suffix(2000).description)
    }
}

/// A fake VLM in a Python process of its own on 127.0.0.1 (the description contract's
/// `GET /visual-context/{id}`; `GET /count` tells how many it answered), killed with SIGKILL.
final class ProcessVLM {
    let port = ServerProcess.freePort()
    private let process = Process()
    var url: String { "http://127.0.0.1:\(port)" }

    static let script = """
    import json, sys, threading
    from http.server import ThreadingHTTPServer, BaseHTTPRequestHandler
    port, text = int(sys.argv[1]), sys.argv[2]
    calls = [0]; lock = threading.Lock()
    class H(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        def log_message(self, *a): pass
        def do_GET(self):
            if self.path == "/count":
                body = str(calls[0]).encode()
            elif self.path.startswith("/visual-context/"):
                with lock: calls[0] += 1
                body = json.dumps({"sessionid": self.path.rsplit("/", 1)[-1], "visual_context": text, "available": True}).encode()
            else:
                body = b"ok"
            self.send_response(200); self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body))); self.end_headers(); self.wfile.write(body)
    ThreadingHTTPServer(("127.0.0.1", port), H).serve_forever()
    """

    init(text: String) throws {
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", "-c", Self.script, String(port), text]
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        let deadline = Date().addingTimeInterval(10)
        while Date() < deadline {
            if let r = try? HTTP.get("\(url)/count", timeout: 1), r.status == 200 { return }
            Thread.sleep(forTimeInterval: 0.05)
        }
        throw NSError(domain: "ProcessVLM", code: 1, userInfo: [NSLocalizedDescriptionKey: "the fake VLM process did not start on \(port)"])
    }

    func callCount() throws -> Int { Int(try HTTP.get("\(url)/count", timeout: 2).text) ?? 0 }

    func kill() {
        guard process.isRunning else { return }
        Foundation.kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
    }

    deinit { kill() }
}
