import Foundation
import XCTest
import FakeBackends

/// `max_concurrency` in a manifest bounds the threads a blocking third-party plugin can take.
final class ConcurrencyLimitTests: XCTestCase {
    /// A server with the default manifests, the random describer replaced by `describer`.
    func server(describer: TestPlugins.Manifest) throws -> ServerProcess {
        let defaults = TestPlugins.repoRoot.appendingPathComponent("plugin-manifests").path
        let dir = TestPlugins.makeDirectory()
        for file in try FileManager.default.contentsOfDirectory(atPath: defaults) where file.hasSuffix(".toml") && file != "describer-random.toml" {
            try FileManager.default.copyItem(atPath: "\(defaults)/\(file)", toPath: "\(dir)/\(file)")
        }
        try TestPlugins.write(describer, to: dir)
        return try ServerProcess(["serve", "--manifests", dir, "--db", NSTemporaryDirectory() + "tonehost-mc-\(UUID().uuidString.prefix(8)).db"])
    }

    func server(maxConcurrency: Int?) throws -> ServerProcess {
        // A naive describer: every call blocks its thread for 150 ms.
        try server(describer: .init(file: "describer.toml", name: "blocking-describer", kind: "describer",
                                    library: try TestPlugins.library("test_describer"),
                                    extra: "deadline_ms = 20000\n" + (maxConcurrency.map { "max_concurrency = \($0)\n" } ?? ""),
                                    config: ["text": "an elderly man with a walking stick", "delay_ms": 150]))
    }

    /// 100 concurrent requests; the most threads the process had while they ran.
    func peakThreads(_ s: ServerProcess) async throws -> (peak: Int, tones: [String?]) {
        _ = try await HTTP.postAsync(s.url + "/api/rag-llm/query-with-tone", json: ["text_user_msg": "What is ITRI?"])
        let sampling = Task.detached { () -> Int in
            var peak = 0
            while !Task.isCancelled {
                peak = max(peak, s.threadCount)
                try? await Task.sleep(for: .milliseconds(20))
            }
            return peak
        }
        let tones = await withTaskGroup(of: String?.self) { group in
            for i in 0..<100 {
                group.addTask {
                    let r = try? await HTTP.postAsync(s.url + "/api/rag-llm/query-with-tone",
                                                      json: ["text_user_msg": "What is ITRI?", "session_id": "mc\(i)"], timeout: 60)
                    return r?.headers["x-tone"]
                }
            }
            return await group.reduce(into: []) { $0.append($1) }
        }
        sampling.cancel()
        return (await sampling.value, tones)
    }

    func testMaxConcurrencyKeepsABlockingPluginUnder64Threads() async throws {
        let limited = try server(maxConcurrency: 4)
        defer { limited.stop() }
        let (peak, tones) = try await peakThreads(limited)
        XCTAssertEqual(tones.filter { $0 == "elder_friendly" }.count, 100, "every request got the describer's answer: \(tones)")
        XCTAssertLessThan(peak, 64, "threads peaked at \(peak) with max_concurrency = 4")
        limited.stop()

        let unlimited = try server(maxConcurrency: nil)
        defer { unlimited.stop() }
        let (free, _) = try await peakThreads(unlimited)
        print("100 concurrent requests through a 150 ms blocking describer: peak threads \(peak) with max_concurrency = 4, \(free) without")
        XCTAssertGreaterThan(free, peak, "without a cap the blocking plugin takes more threads")
    }

    /// A plugin that declares TONEHOST_FLAG_NONBLOCKING is called on the asking thread (no
    /// hand-over); one that breaks the promise — here each call sleeps 1.5 s — costs one slow
    /// call: the host then moves its calls to its own threads, where the deadline cuts them off
    /// again, and the server keeps answering on time.
    func testANonblockingPluginThatBlocksIsMovedOffTheAskingThread() async throws {
        let s = try server(describer: .init(file: "describer.toml", name: "lying-describer", kind: "describer",
                                            library: try TestPlugins.library("lying_describer"), extra: "deadline_ms = 100\n",
                                            config: ["text": "a little girl", "delay_ms": 1500]))
        defer { s.stop() }
        let first = try await HTTP.postAsync(s.url + "/api/rag-llm/query-with-tone", json: ["text_user_msg": "What is ITRI?", "session_id": "liar0"])
        XCTAssertEqual(first.status, 200)
        XCTAssertTrue(first.text.hasSuffix("END_FLAG\n"))
        XCTAssertEqual(first.headers["x-tone"], "casual_friendly", "the describer ran past its deadline: no description")
        XCTAssertTrue(s.log.contains("ran long"), "the broken promise is logged: \(s.log.suffix(2000))")
        // Later calls run on the host's threads: the 100 ms deadline answers for the describer.
        let started = Date()
        let later = await withTaskGroup(of: Int.self) { group in
            for i in 1...6 {
                group.addTask {
                    (try? await HTTP.postAsync(s.url + "/api/rag-llm/query-with-tone",
                                               json: ["text_user_msg": "What is ITRI?", "session_id": "liar\(i)"]))?.status ?? 0
                }
            }
            return await group.reduce(into: []) { $0.append($1) }
        }
        let elapsed = Date().timeIntervalSince(started)
        XCTAssertEqual(later, Array(repeating: 200, count: 6))
        XCTAssertLessThan(elapsed, 1.2, "six answers with a 100 ms describer deadline took \(elapsed) s (the liar still ran on the asking threads?)")
    }

    /// One short wait of a NONBLOCKING plugin (40 ms here; on a busy machine an honest plugin
    /// waits that long for a lock whose holder was preempted) is a strike, not a verdict: its
    /// calls stay on the asking thread. Three within a minute move them, with the warning.
    func testAShortWaitIsAStrikeAndThreeMoveThePlugin() async throws {
        let s = try server(describer: .init(file: "describer.toml", name: "slowish-describer", kind: "describer",
                                            library: try TestPlugins.library("lying_describer"), extra: "deadline_ms = 5000\n",
                                            config: ["text": "a little girl", "delay_ms": 40]))
        defer { s.stop() }
        for i in 1...3 {
            let r = try await HTTP.postAsync(s.url + "/api/rag-llm/query-with-tone", json: ["text_user_msg": "What is ITRI?", "session_id": "strike\(i)"])
            XCTAssertEqual(r.status, 200)
            XCTAssertEqual(r.headers["x-tone"], "child_friendly", "the describer answered within its deadline (call \(i))")
            if i < 3 {
                XCTAssertFalse(s.log.contains("ran long"), "one short wait must not move the plugin (after call \(i)): \(s.log.suffix(2000))")
            }
        }
        XCTAssertTrue(s.log.contains("ran long"), "the third short wait within a minute moves it: \(s.log.suffix(2000))")
    }

    /// A NONBLOCKING operation runs on the thread that asked — one of Swift's cooperative pool,
    /// which the host LLM service's blocking `chat` itself needs. A plugin that calls `chat`
    /// there anyway (the ABI says `chat_start`) gets an error at once, and the server goes on.
    func testBlockingChatFromANonblockingOperationIsRefusedAtOnce() async throws {
        let fake = try await FakeChatServer(port: ServerProcess.freePort())
        defer { fake.stop() }
        let dir = try LLMBackendTests.manifestDirectory(llm: LLMBackendTests.ollamaManifest(fake.url), extra: [
            "tone-casual.toml": "name = \"blocking-chat-tone\"\nkind = \"tone\"\nlibrary = \"\(try TestPlugins.library("blocking_chat_tone"))\"\nabi_version = 1\ndeadline_ms = 5000\n",
        ])
        let s = try ServerProcess(["serve", "--manifests", dir, "--db", NSTemporaryDirectory() + "tonehost-bchat-\(UUID().uuidString.prefix(8)).db"])
        defer { s.stop() }
        let started = Date()
        let results = await withTaskGroup(of: String.self) { group in
            for _ in 0..<4 {
                group.addTask {
                    let r = try? await HTTP.postAsync(s.url + "/api/rag-llm/convert-tone",
                                                      json: ["text": "Hello there.", "tone": "casual_friendly", "stream": false], timeout: 20)
                    return r?.json["converted_text"] as? String ?? "no answer (\(r?.status ?? 0))"
                }
            }
            return await group.reduce(into: []) { $0.append($1) }
        }
        for r in results {
            XCTAssertTrue(r.contains("chat blocks the calling thread") && r.contains("chat_start"), r)
        }
        XCTAssertLessThan(Date().timeIntervalSince(started), 4, "refused at once, not after the 5 s deadline")
        let health = try await HTTP.getAsync(s.url + "/health")
        XCTAssertEqual(health.status, 200)
    }
}
