import Foundation
import XCTest

/// Several instances of a backend without an external balancer: the VLM client spreads calls
/// over two fake VLMs; one is killed under load and no request loses its description.
final class BackendFailoverTests: XCTestCase {
    func testKillingOneOfTwoVLMsUnderLoadCostsNoDescription() async throws {
        let a = try await FakeVLM(.describe("an elderly man with a walking stick"))
        let b = try await FakeVLM(.describe("an elderly man with a walking stick"))
        defer { a.stop(); b.stop() }
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
        XCTAssertGreaterThan(a.callCount, 0, "calls are spread over both instances")
        a.stop()
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
