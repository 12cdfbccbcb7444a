import Foundation
import XCTest

/// Per-answer tone state in the ABI (tone_stream_begin / request->stream / tone_stream_end), and
/// old ABI-1 descriptors still loading.
final class StreamStateTests: XCTestCase {
    let defaults = TestPlugins.repoRoot.appendingPathComponent("plugin-manifests").path

    func server(_ extra: [String: String]) throws -> ServerProcess {
        let dir = TestPlugins.makeDirectory()
        for file in try FileManager.default.contentsOfDirectory(atPath: defaults) where file.hasSuffix(".toml") {
            try FileManager.default.copyItem(atPath: "\(defaults)/\(file)", toPath: "\(dir)/\(file)")
        }
        for (name, text) in extra { try text.write(toFile: "\(dir)/\(name)", atomically: true, encoding: .utf8) }
        return try ServerProcess(["serve", "--manifests", dir, "--db", NSTemporaryDirectory() + "tonehost-ss-\(UUID().uuidString.prefix(8)).db"])
    }

    func streamManifest(isolated: Bool) throws -> String {
        """
        name = "stream"
        kind = "tone"
        tone_category = "stream_friendly"
        library = "\(try TestPlugins.library("stream_tone"))"
        abi_version = 1
        \(isolated ? "isolation = \"process\"" : "")
        [cues]
        en = ["streamtest"]
        """
    }

    /// Segment numbers of one answer, in order.
    func marks(_ text: String) -> [Int] {
        let regex = try! NSRegularExpression(pattern: #"\[(-?\d+)\]"#)
        return regex.matches(in: text, range: NSRange(text.startIndex..., in: text)).compactMap {
            Range($0.range(at: 1), in: text).flatMap { Int(text[$0]) }
        }
    }

    func testConcurrentAnswersInOneSessionKeepTheirOwnState() async throws {
        for isolated in [false, true] {
            let s = try server(["tone-stream.toml": try streamManifest(isolated: isolated)])
            let url = s.url
            let bodies = try await withThrowingTaskGroup(of: String.self) { group in
                for _ in 0..<6 {
                    group.addTask {
                        // Same session, same question, same visitor: what the old process-wide map keyed on.
                        try await HTTP.postAsync(url + "/api/rag-llm/query-with-tone",
                                                 json: ["text_user_msg": "Tell me about ITRI's history", "user_description": "a streamtest visitor"]).text
                    }
                }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            for body in bodies {
                let m = marks(body)
                XCTAssertGreaterThan(m.count, 1, "isolated \(isolated): \(body)")
                XCTAssertEqual(m, Array(1...m.count), "isolated \(isolated): each answer counts its own segments from 1: \(body)")
            }
            s.stop()
        }
    }

    func testAnABI1DescriptorStillLoads() throws {
        let lib = try TestPlugins.library("abi1_tone")
        let s = try server(["tone-abi1.toml": "name = \"abi1\"\nkind = \"tone\"\nlibrary = \"\(lib)\"\nabi_version = 1\n"])
        defer { s.stop() }
        let r = try HTTP.post(s.url + "/api/rag-llm/convert-tone", json: ["text": "工研院在新竹。", "tone": "abi1_friendly"])
        XCTAssertEqual(r.text, "[abi1] 工研院在新竹。\nEND_FLAG\n")
    }
}
