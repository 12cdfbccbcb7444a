import FakeBackends
import Foundation
import XCTest

/// `isolation = "process"`: a plugin that segfaults, aborts, exits, hangs or eats memory fails
/// only its own calls; the host answers every request and restarts the worker.
final class IsolationTests: XCTestCase {
    let defaults = TestPlugins.repoRoot.appendingPathComponent("plugin-manifests").path

    func server(_ extra: [String: String], env: [String: String] = [:]) throws -> ServerProcess {
        let dir = TestPlugins.makeDirectory()
        for file in try FileManager.default.contentsOfDirectory(atPath: defaults) where file.hasSuffix(".toml") {
            try FileManager.default.copyItem(atPath: "\(defaults)/\(file)", toPath: "\(dir)/\(file)")
        }
        for (name, text) in extra { try text.write(toFile: "\(dir)/\(name)", atomically: true, encoding: .utf8) }
        let s = try ServerProcess(["serve", "--manifests", dir, "--db", NSTemporaryDirectory() + "tonehost-iso-\(UUID().uuidString.prefix(8)).db"],
                                  environment: env)
        let end = Date().addingTimeInterval(30)
        while try HTTP.get(s.url + "/readyz").status != 200, Date() < end { Thread.sleep(forTimeInterval: 0.1) }
        return s
    }

    func crashy(_ mode: String, every: Int = 1, isolated: Bool = true, extra: String = "") throws -> String {
        """
        name = "crashy"
        kind = "tone"
        library = "\(try TestPlugins.library("crashy_tone"))"
        abi_version = 1
        \(isolated ? "isolation = \"process\"" : "")
        \(extra)
        [config]
        mode = "\(mode)"
        every = \(every)
        """
    }

    func convert(_ s: ServerProcess, _ text: String, timeout: Double = 30) throws -> HTTP.Response {
        try HTTP.post(s.url + "/api/rag-llm/convert-tone", json: ["text": text, "tone": "crashy_friendly"], timeout: timeout)
    }

    func testCrashingWorkersFailOnlyTheirCallsAndComeBack() throws {
        for mode in ["segv", "abort", "exit"] {
            let s = try server(["tone-crashy.toml": try crashy(mode, every: 3)])
            var converted = 0, unconverted = 0
            for i in 1...9 {
                let r = try convert(s, "Call \(i).")
                XCTAssertEqual(r.status, 200)
                XCTAssertTrue(r.text.hasSuffix("\nEND_FLAG\n"), "\(mode): \(r.text)")
                if r.text.hasPrefix("[crashy] Call \(i).") { converted += 1 } else if r.text == "Call \(i).\nEND_FLAG\n" { unconverted += 1 }
            }
            XCTAssertEqual(converted, 6, "\(mode): the worker came back after each crash")
            XCTAssertEqual(unconverted, 3, "\(mode): a crashed call sends its text unconverted")
            let metrics = try HTTP.get(s.url + "/metrics").text
            XCTAssertTrue(metrics.contains("tonehost_plugin_crashes_total{plugin=\"crashy\"} 3"), "\(mode): \(metrics)")
            XCTAssertTrue(s.log.contains("plugin worker"), s.log)
            XCTAssertEqual(try HTTP.get(s.url + "/health").status, 200)
            s.stop()
        }
    }

    func testAHungWorkerIsKilledAndReplaced() throws {
        let s = try server(["tone-crashy.toml": try crashy("hang", every: 2)], env: ["TONEHOST_TONE_TIMEOUT_MS": "500"])
        defer { s.stop() }
        XCTAssertTrue(try convert(s, "One.").text.hasPrefix("[crashy] One."))
        let started = Date()
        let hung = try convert(s, "Two.")
        XCTAssertEqual(hung.text, "Two.\nEND_FLAG\n", "past its deadline the segment goes out unconverted")
        XCTAssertLessThan(Date().timeIntervalSince(started), 2)
        Thread.sleep(forTimeInterval: 3)  // the hang grace passes: the worker is killed
        XCTAssertTrue(s.log.contains("a cancelled call is still running") && s.log.contains("exited with status 70"), s.log)
        XCTAssertTrue(try convert(s, "Three.").text.hasPrefix("[crashy] Three."), "a new worker serves")
    }

    func testAMemoryLimitEndsARunawayWorker() throws {
        let s = try server(["tone-crashy.toml": try crashy("eat", every: 2, extra: "memory_limit_mb = 512")])
        defer { s.stop() }
        XCTAssertTrue(try convert(s, "One.").text.hasPrefix("[crashy] One."))
        XCTAssertEqual(try convert(s, "Two.").text, "Two.\nEND_FLAG\n")
        XCTAssertTrue(try convert(s, "Three.").text.hasPrefix("[crashy] Three."))
        XCTAssertEqual(try HTTP.get(s.url + "/health").status, 200)
    }

    func testAPluginThatKeepsCrashingIsMarkedFailed() throws {
        let s = try server(["tone-crashy.toml": try crashy("segv")])
        defer { s.stop() }
        for i in 0..<8 { XCTAssertEqual(try convert(s, "Call \(i).").text, "Call \(i).\nEND_FLAG\n") }
        XCTAssertTrue(s.log.contains("keeps crashing"), s.log)
        let ready = try HTTP.get(s.url + "/readyz")
        XCTAssertEqual(ready.status, 200, "the other plugins still answer")
        XCTAssertTrue(((ready.json["plugins_failed"] as? [String: String])?["crashy"] ?? "").contains("keeps crashing"), ready.text)
        // The admin list and `plugins list --url` name it, with its crashes.
        let list = try HTTP.get(s.url + "/admin/plugins")
        let row = (list.json["plugins"] as? [[String: Any]])?.first { $0["name"] as? String == "crashy" }
        XCTAssertEqual(row?["status"] as? String, "given_up", list.text)
        XCTAssertEqual(row?["isolation"] as? String, "process", list.text)
        XCTAssertGreaterThanOrEqual(row?["crashes"] as? Int ?? 0, 5, list.text)
        let cli = try TestPlugins.run(TestPlugins.productsDir + "/tonehost", ["plugins", "list", "--url", s.url])
        XCTAssertEqual(cli.status, 0, cli.output)
        let line = cli.output.split(separator: "\n").first { $0.contains("name=crashy") } ?? ""
        XCTAssertTrue(line.contains("status=GIVEN-UP") && line.contains("isolation=process") && line.contains("keeps crashing"), cli.output)
        XCTAssertTrue(cli.output.contains("name=tone-child") && cli.output.contains("status=active"), cli.output)
        // A reload starts it afresh.
        XCTAssertEqual(try HTTP.send(s.url + "/admin/reload", method: "POST", body: nil, timeout: 30).status, 200)
        XCTAssertNil(try HTTP.get(s.url + "/readyz").json["plugins_failed"])
        let after = try TestPlugins.run(TestPlugins.productsDir + "/tonehost", ["plugins", "list", "--url", s.url])
        XCTAssertTrue(after.output.split(separator: "\n").first { $0.contains("name=crashy") }?.contains("status=active") ?? false, after.output)
    }

    /// An isolated LLM tone reaches the host's LLM through `tonehost.llm.v1` (relayed by the worker).
    func testAnIsolatedPluginReachesTheHostLLMService() async throws {
        let fake = try await FakeChatServer(port: ServerProcess.freePort())
        defer { fake.stop() }
        let dir = try LLMBackendTests.manifestDirectory(llm: LLMBackendTests.ollamaManifest(fake.url), extra: ["tone-child-llm.toml": """
            name = "tone-child-llm"
            kind = "tone"
            library = "libtonehost-tone-llm.so"
            abi_version = 1
            tone_category = "child_friendly"
            priority = 10
            isolation = "process"
            """])
        let s = try ServerProcess(["serve", "--manifests", dir, "--db", NSTemporaryDirectory() + "tonehost-iso-llm-\(UUID().uuidString.prefix(8)).db"])
        defer { s.stop() }
        let r = try await HTTP.postAsync(s.url + "/api/rag-llm/query-with-tone", json: ["text_user_msg": "What is ITRI?", "user_description": "a little girl"])
        XCTAssertEqual(r.headers["x-tone"], "child_friendly")
        XCTAssertTrue(r.text.hasPrefix("TONED: ITRI is Taiwan's"), "the isolated tone's chat went through the host's LLM: \(r.text)")
        XCTAssertTrue(fake.received.contains { FakeChatServer.purpose(of: $0) == "tone" })
        XCTAssertTrue(s.log.contains("plugin worker started"), s.log)
    }

    func testTheSameLibraryGivesTheSameAnswersInProcessAndIsolated() throws {
        // A bundled Swift tone and a C test tone, both ways.
        let child = try String(contentsOfFile: defaults + "/tone-child.toml", encoding: .utf8)
        let inProcess = try server(["tone-crashy.toml": try crashy("ok", isolated: false)])
        let isolated = try server(["tone-crashy.toml": try crashy("ok"),
                                   "tone-child.toml": child.replacingOccurrences(of: "abi_version = 1", with: "abi_version = 1\nisolation = \"process\"")])
        defer { inProcess.stop(); isolated.stop() }
        XCTAssertEqual(try convert(inProcess, "工研院在新竹。").text, try convert(isolated, "工研院在新竹。").text)
        for question in ["What is ITRI?", "工研院在哪裡？"] {
            let body: [String: Any] = ["text_user_msg": question, "user_description": "a little girl", "session_id": "same"]
            let a = try HTTP.post(inProcess.url + "/api/rag-llm/query-with-tone", json: body)
            let b = try HTTP.post(isolated.url + "/api/rag-llm/query-with-tone", json: body)
            XCTAssertEqual(b.headers["x-tone"], "child_friendly")
            XCTAssertEqual(a.text, b.text, "the isolated tone-child answers as the in-process one")
        }
        XCTAssertTrue(isolated.log.contains("plugin worker started"), isolated.log)
        // The isolated tone's log lines are written by the host (the C teen tone logs at create).
        let teen = try server(["tone-teen.toml": "name = \"teen\"\nkind = \"tone\"\nlibrary = \"\(try TestPlugins.library("teen_tone"))\"\nabi_version = 1\nisolation = \"process\"\n"])
        defer { teen.stop() }
        XCTAssertTrue(teen.log.contains("msg=\"teen tone ready\"") && teen.log.contains("isolated=true"), teen.log)
    }

    /// An isolated retriever gets the query vector the host's embedder made, as an in-process
    /// one does (`tonehost eval` embeds each question and retrieves with it, as the pipeline).
    func testAnIsolatedRetrieverReceivesTheQueryVector() async throws {
        let fake = try await FakeChatServer(port: ServerProcess.freePort())
        defer { fake.stop() }
        let question = "What is ITRI?"
        let vector = FakeChatServer.embedding(question, dimension: 64).map { Double(Float($0)) }
        let echo = "model=ollama:fake-embed dimension=64 first=\(String(format: "%.4f", vector[0])) sum=\(String(format: "%.4f", vector.reduce(0, +)))"
        let set = NSTemporaryDirectory() + "tonehost-iso-vector-\(UUID().uuidString.prefix(8)).tsv"
        try "\(question)\tre:\(NSRegularExpression.escapedPattern(for: echo))\n".write(toFile: set, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: set) }
        for isolated in [false, true] {
            let dir = TestPlugins.makeDirectory()
            for file in try FileManager.default.contentsOfDirectory(atPath: defaults) where file.hasSuffix(".toml") && !file.hasPrefix("retriever") {
                try FileManager.default.copyItem(atPath: "\(defaults)/\(file)", toPath: "\(dir)/\(file)")
            }
            try """
                name = "echo-retriever"
                kind = "retriever"
                library = "\(try TestPlugins.library("test_retriever"))"
                abi_version = 1
                \(isolated ? "isolation = \"process\"" : "")
                [config]
                echo_vector = 1
                """.write(toFile: "\(dir)/retriever.toml", atomically: true, encoding: .utf8)
            try EmbeddingTests.embedderManifest(fake.url).write(toFile: "\(dir)/embedder.toml", atomically: true, encoding: .utf8)
            var env = ProcessInfo.processInfo.environment
            env["TONEHOST_PLUGIN_PATH"] = TestPlugins.productsDir
            let r = try TestPlugins.run(TestPlugins.productsDir + "/tonehost", ["eval", "--manifests", dir, "--k", "1", set], environment: env)
            XCTAssertEqual(r.status, 0, r.output)
            XCTAssertTrue(r.output.contains("questions embedded by embedder-ollama (ollama:fake-embed)"), r.output)
            XCTAssertTrue(r.output.contains("recall@1 1.000 (1/1)"), "isolated \(isolated): the retriever saw \(echo)? \(r.output)")
        }
        XCTAssertEqual(fake.embeddedBatches.filter { $0 == [question] }.count, 2, "\(fake.embeddedBatches)")
    }
}
