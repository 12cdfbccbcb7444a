import Foundation
import XCTest

/// A client that hangs up mid-stream cancels the rest of its request's work.
final class ClientDisconnectTests: XCTestCase {
    func testDisconnectStopsGeneration() throws {
        let progress = NSTemporaryDirectory() + "disconnect-progress-\(UUID().uuidString)"
        let words = (1...200).map { "word\($0)." }.joined(separator: " ")
        let dir = try TestPlugins.standardSet(llm: ["delay_ms": 30, "text": words, "progress_file": progress])
        let db = NSTemporaryDirectory() + "tonehost-disconnect-\(UUID().uuidString.prefix(8)).db"
        let server = try ServerProcess(["serve", "--manifests", dir, "--db", db])
        var received = 0
        _ = try? HTTP.send(server.url + "/api/rag-llm/query", method: "POST",
                           body: try JSONSerialization.data(withJSONObject: ["text_user_msg": "q", "session_id": "d"]), timeout: 30) { chunk in
            received += chunk.count
            return received < 40  // hang up after the first few words
        }
        Thread.sleep(forTimeInterval: 0.5)
        let sent = Int((try? String(contentsOfFile: progress, encoding: .utf8))?.trimmingCharacters(in: .whitespacesAndNewlines) ?? "") ?? 0
        Thread.sleep(forTimeInterval: 0.6)
        let later = Int((try? String(contentsOfFile: progress, encoding: .utf8))?.trimmingCharacters(in: .whitespacesAndNewlines) ?? "") ?? 0
        XCTAssertGreaterThan(sent, 0)
        XCTAssertEqual(sent, later, "generation went on after the client left (\(sent) → \(later) words)")
        XCTAssertLessThan(later, 100, "generation should have stopped long before the 200th word")
        // The server is still healthy.
        XCTAssertEqual(try HTTP.get(server.url + "/health").status, 200)
    }
}
