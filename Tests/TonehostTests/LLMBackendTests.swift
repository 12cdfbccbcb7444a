import FakeBackends
import Foundation
import Logging
import TonehostCore
import XCTest

/// The Ollama and OpenAI-compatible plugins and the LLM-driven stages, against fake LLM
/// servers on 127.0.0.1, through manifests and the real .so files.
final class LLMBackendTests: XCTestCase {
    var db = ""

    override func setUp() {
        db = NSTemporaryDirectory() + "tonehost-llm-\(UUID().uuidString.prefix(8)).db"
    }

    /// The default manifests with the llm replaced (and extras added).
    func manifests(llm: String, extra: [String: String] = [:]) throws -> String {
        try Self.manifestDirectory(llm: llm, extra: extra)
    }

    static func manifestDirectory(llm: String, extra: [String: String] = [:]) throws -> String {
        let source = TestPlugins.repoRoot.appendingPathComponent("plugin-manifests").path
        let dir = TestPlugins.makeDirectory()
        for file in try FileManager.default.contentsOfDirectory(atPath: source) where file.hasSuffix(".toml") && file != "llm-extractive.toml" {
            try FileManager.default.copyItem(atPath: "\(source)/\(file)", toPath: "\(dir)/\(file)")
        }
        try llm.write(toFile: "\(dir)/llm.toml", atomically: true, encoding: .utf8)
        for (name, text) in extra { try text.write(toFile: "\(dir)/\(name)", atomically: true, encoding: .utf8) }
        return dir
    }

    static func ollamaManifest(_ url: String, role: String? = nil, name: String = "ollama") -> String {
        """
        name = "\(name)"
        kind = "llm"
        library = "libtonehost-llm-ollama.so"
        abi_version = 1
        \(role.map { "role = \"\($0)\"" } ?? "")
        [config]
        base_url = "\(url)"
        model = "${LLM_MODEL_NAME:-llama3.2}"
        keep_alive = "5m"
        """
    }

    func generation(_ dir: String, logs: LogCapture? = nil) throws -> PluginGeneration {
        var env = ProcessInfo.processInfo.environment
        env["TONEHOST_DB"] = db
        env["TONEHOST_PLUGIN_PATH"] = TestPlugins.productsDir
        env["TONEHOST_TEST_OPENAI_KEY"] = "sk-test-SECRET-4242"
        var logger = logs?.logger ?? Logger(label: "test")
        if logs == nil { logger.logLevel = .critical }
        let report = PluginLoader(directory: dir, environment: env, logger: logger).load()
        XCTAssertFalse(report.hasFailures, "\(report.entries.map { "\($0.file): \($0.state)" }) \(report.fatal)")
        return try PluginGeneration(report: report)
    }

    func messages(_ body: [String: Any]) -> [[String: Any]] { body["messages"] as? [[String: Any]] ?? [] }

    func testOllamaPromptCarriesFencedPassagesAndQuestionAndStreams() async throws {
        var b = FakeChatServer.Behaviour()
        b.answerTokens = (1...20).map { "token\($0) " }
        b.tokenDelayMilliseconds = 50
        let fake = try await FakeChatServer(port: ServerProcess.freePort(), behaviour: b)
        let g = try generation(try manifests(llm: Self.ollamaManifest(fake.url)))
        let r = await runPipeline(PipelineRequest(question: "What is ITRI?", convertTone: false), g)
        XCTAssertNil(r.failure)
        XCTAssertEqual(r.text, b.answerTokens.joined())
        let body = try XCTUnwrap(fake.received.last)
        XCTAssertEqual(body["model"] as? String, "llama3.2")
        XCTAssertEqual(body["stream"] as? Bool, true)
        XCTAssertEqual(body["keep_alive"] as? String, "5m")
        let system = messages(body).first?["content"] as? String ?? ""
        XCTAssertTrue(system.contains("<<<REFERENCES>>>") && system.contains("<<<PASSAGE 1") && system.contains("<<<END REFERENCES>>>"), system)
        XCTAssertTrue(system.contains("Industrial Technology Research Institute"), "passages reach the prompt")
        let user = messages(body).last?["content"] as? String ?? ""
        XCTAssertEqual(user, "<<<QUESTION>>>\nWhat is ITRI?\n<<<END QUESTION>>>")
        // Streamed as generated: the first text long before the last.
        let first = try XCTUnwrap(r.firstText)
        XCTAssertLessThan(first, r.seconds / 3, "first text at \(first) s of \(r.seconds) s")
    }

    func testDescriptionAndQuestionReachTheLLMToneConverter() async throws {
        let fake = try await FakeChatServer(port: ServerProcess.freePort())
        let tone = """
            name = "tone-child-llm"
            kind = "tone"
            library = "libtonehost-tone-llm.so"
            abi_version = 1
            tone_category = "child_friendly"
            priority = 10
            """
        let g = try generation(try manifests(llm: Self.ollamaManifest(fake.url), extra: ["tone-child-llm.toml": tone]))
        let r = await runPipeline(PipelineRequest(question: "工研院是什麼？", userDescription: "一位穿著制服的小學生"), g)
        XCTAssertEqual(r.tone?.category, "child_friendly")
        XCTAssertTrue(r.text.hasPrefix("TONED: ITRI is Taiwan's"), r.text)
        let toneBody = try XCTUnwrap(fake.received.first { FakeChatServer.purpose(of: $0) == "tone" })
        let system = messages(toneBody).first?["content"] as? String ?? ""
        let user = messages(toneBody).last?["content"] as? String ?? ""
        XCTAssertTrue(system.contains("child_friendly") && system.contains("Traditional Chinese") && system.contains("first message"), system)
        XCTAssertTrue(system.contains("語氣詞") && system.contains("只用一個表情標記"), "a Chinese prompt for a Chinese answer: \(system)")
        XCTAssertTrue(user.contains("一位穿著制服的小學生") && user.contains("工研院是什麼？") && user.contains("ITRI is Taiwan's"), user)
    }

    static let childLLMTone = """
        name = "tone-child-llm"
        kind = "tone"
        library = "libtonehost-tone-llm.so"
        abi_version = 1
        tone_category = "child_friendly"
        priority = 10
        """

    /// The LLM tone converts sentence by sentence while the answer streams: the first toned
    /// sentence arrives long before the answer is finished, each sentence is its own model call
    /// (with the earlier sentences as context), and the last call asks for the closing alone.
    func testLLMToneConvertsSentenceBySentenceWhileTheAnswerStreams() async throws {
        var b = FakeChatServer.Behaviour()
        b.answerTokens = ["ITRI was founded ", "in 1973. "] + (1...12).map { "Word\($0) " } + ["ends here. "]
        b.tokenDelayMilliseconds = 60
        let fake = try await FakeChatServer(port: ServerProcess.freePort(), behaviour: b)
        let g = try generation(try manifests(llm: Self.ollamaManifest(fake.url), extra: ["tone-child-llm.toml": Self.childLLMTone]))
        let r = await runPipeline(PipelineRequest(question: "When was ITRI founded?", userDescription: "a little girl"), g)
        XCTAssertNil(r.failure)
        XCTAssertEqual(r.tone?.category, "child_friendly")
        XCTAssertTrue(r.text.hasPrefix("TONED: ITRI was founded in 1973. TONED: Word1"), r.text)
        XCTAssertTrue(r.text.hasSuffix(" Want to know more?"), "the closing from its own call: \(r.text)")
        let first = try XCTUnwrap(r.firstText)
        XCTAssertLessThan(first, r.seconds / 2, "first toned text at \(first) s of \(r.seconds) s: it did not wait for the whole answer")
        let toneCalls = fake.received.filter { FakeChatServer.purpose(of: $0) == "tone" }
        XCTAssertEqual(toneCalls.count, 3, "two sentences and the closing")
        let second = messages(toneCalls[1]).last?["content"] as? String ?? ""
        XCTAssertTrue(second.contains("<<<EARLIER SENTENCES") && second.contains("ITRI was founded in 1973."), second)
        let system = messages(toneCalls[1]).first?["content"] as? String ?? ""
        XCTAssertTrue(system.contains("no greeting") && system.contains("phone number"), system)
    }

    /// A rewrite that drops a number or a name is not sent: the rule tone converts that sentence.
    func testLLMToneRewriteThatLosesAFactGivesWayToTheRules() async throws {
        var b = FakeChatServer.Behaviour()
        b.answerTokens = ["ITRI was founded in 1973 in Hsinchu."]
        b.toneReply = "ITRI is super old and cool!"
        let fake = try await FakeChatServer(port: ServerProcess.freePort(), behaviour: b)
        let logs = LogCapture()
        let g = try generation(try manifests(llm: Self.ollamaManifest(fake.url), extra: ["tone-child-llm.toml": Self.childLLMTone]), logs: logs)
        let r = await runPipeline(PipelineRequest(question: "When was ITRI founded?", userDescription: "a little girl"), g)
        XCTAssertNil(r.failure)
        XCTAssertFalse(r.text.contains("super old"), r.text)
        XCTAssertTrue(r.text.contains("1973") && r.text.contains("Hsinchu"), r.text)
        XCTAssertTrue(logs.text.contains("dropped") && logs.text.contains("1973"), logs.text)
    }

    func testLLMToneFallsBackToRulesWhenTheLLMFails() async throws {
        var b = FakeChatServer.Behaviour()
        b.status500For = ["tone"]
        let fake = try await FakeChatServer(port: ServerProcess.freePort(), behaviour: b)
        let tone = "name = \"tone-elder-llm\"\nkind = \"tone\"\nlibrary = \"libtonehost-tone-llm.so\"\nabi_version = 1\ntone_category = \"elder_friendly\"\npriority = 10\n"
        let g = try generation(try manifests(llm: Self.ollamaManifest(fake.url), extra: ["tone-elder-llm.toml": tone]))
        let r = await runPipeline(PipelineRequest(question: "What is ITRI?", userDescription: "an old man with a cane"), g)
        XCTAssertEqual(r.tone?.category, "elder_friendly")
        XCTAssertNil(r.failure)
        XCTAssertTrue(r.text.contains("is Taiwan's applied research institute") && r.text.contains("Please take your time"), r.text)
    }

    func testLLMToneSelectorUsesRegisteredCategoriesAndRejectsOthers() async throws {
        let selector = "name = \"llm-selector\"\nkind = \"tone_selector\"\nlibrary = \"libtonehost-tone-selector-llm.so\"\nabi_version = 1\npriority = 10\n"
        var b = FakeChatServer.Behaviour()
        b.selectorReply = "professional_friendly"
        let fake = try await FakeChatServer(port: ServerProcess.freePort(), behaviour: b)
        let dir = try manifests(llm: Self.ollamaManifest(fake.url), extra: ["tone-selector-llm.toml": selector])
        let g = try generation(dir)
        var r = await runPipeline(PipelineRequest(question: "What is ITRI?", userDescription: "someone in a grey suit"), g)
        XCTAssertEqual(r.tone?.category, "professional_friendly")
        let body = try XCTUnwrap(fake.received.first { FakeChatServer.purpose(of: $0) == "select" })
        let system = messages(body).first?["content"] as? String ?? ""
        for category in g.toneCategories { XCTAssertTrue(system.contains(category), "\(category) not offered: \(system)") }
        XCTAssertTrue((messages(body).last?["content"] as? String ?? "").contains("someone in a grey suit"))

        fake.behaviour.selectorReply = "pirate_friendly"
        r = await runPipeline(PipelineRequest(question: "What is ITRI?", userDescription: "a man with a walking stick"), g)
        XCTAssertEqual(r.tone?.category, "casual_friendly", "an unregistered tone must become casual_friendly")

        fake.behaviour.status500For = ["select"]
        r = await runPipeline(PipelineRequest(question: "What is ITRI?", userDescription: "a man with a walking stick"), g)
        XCTAssertEqual(r.tone?.category, "elder_friendly", "a failing LLM selector falls back to the rules")
    }

    func testFollowUpIsRewrittenBeforeRetrieval() async throws {
        var b = FakeChatServer.Behaviour()
        b.rewriteReply = "工研院展示館 參觀 預約"
        let fake = try await FakeChatServer(port: ServerProcess.freePort(), behaviour: b)
        let rewriter = Self.ollamaManifest(fake.url, role: "rewrite", name: "rewriter")
        let g = try generation(try manifests(llm: Self.ollamaManifest(fake.url), extra: ["llm-rewrite.toml": rewriter]))
        XCTAssertNotNil(g.rewriter)
        // No history: no rewrite.
        _ = await runPipeline(PipelineRequest(question: "What is ITRI?", convertTone: false), g)
        XCTAssertFalse(fake.received.contains { FakeChatServer.purpose(of: $0) == "rewrite" })
        let history = [ChatMessage(role: "user", content: "What is ITRI?"),
                       ChatMessage(role: "assistant", content: "ITRI is Taiwan's applied research institute.")]
        let r = await runPipeline(PipelineRequest(question: "Who founded it?", history: history, convertTone: false), g)
        XCTAssertNil(r.failure)
        let rewrite = try XCTUnwrap(fake.received.first { FakeChatServer.purpose(of: $0) == "rewrite" })
        let user = messages(rewrite).last?["content"] as? String ?? ""
        XCTAssertTrue(user.contains("Who founded it?") && user.contains("What is ITRI?"), user)
        // Retrieval used the rewritten query: the answer prompt's passages are about the exhibition hall.
        let answer = try XCTUnwrap(fake.received.last { FakeChatServer.purpose(of: $0) == "answer" })
        let system = messages(answer).first?["content"] as? String ?? ""
        XCTAssertTrue(system.contains("展示館"), system.prefix(400).description)
        // The answer prompt still carries the original question and the history.
        XCTAssertEqual(messages(answer).last?["content"] as? String, "<<<QUESTION>>>\nWho founded it?\n<<<END QUESTION>>>")
        XCTAssertEqual(messages(answer).count, 4)
    }

    func testOpenAICompatibleStreamsWithTheKeyAndNeverLogsIt() async throws {
        var b = FakeChatServer.Behaviour()
        b.answerTokens = ["工研院", "位於", "新竹。"]
        let fake = try await FakeChatServer(port: ServerProcess.freePort(), behaviour: b)
        let manifest = """
            name = "openai"
            kind = "llm"
            library = "libtonehost-llm-openai.so"
            abi_version = 1
            [config]
            base_url = "\(fake.url)/v1"
            model = "qwen2.5"
            api_key_env = "TONEHOST_TEST_OPENAI_KEY"
            """
        let logs = LogCapture()
        setenv("TONEHOST_TEST_OPENAI_KEY", "sk-test-SECRET-4242", 1)  // api_key_env reads the process environment
        let g = try generation(try manifests(llm: manifest), logs: logs)
        var r = await runPipeline(PipelineRequest(question: "工研院在哪裡？", convertTone: false), g, logger: logs.logger)
        XCTAssertNil(r.failure)
        XCTAssertEqual(r.text, "工研院位於新竹。")
        XCTAssertEqual(fake.authorizations.last, "Bearer sk-test-SECRET-4242")
        XCTAssertEqual(fake.received.last?["model"] as? String, "qwen2.5")
        fake.behaviour.status500For = ["answer"]
        r = await runPipeline(PipelineRequest(question: "工研院在哪裡？", convertTone: false), g, logger: logs.logger)
        XCTAssertTrue(r.failure?.contains("HTTP 500") ?? false, "\(String(describing: r.failure))")
        XCTAssertTrue(r.failure?.contains("model exploded") ?? false)
        XCTAssertFalse(r.failure?.contains("SECRET") ?? true)
        XCTAssertFalse(logs.text.isEmpty)
        XCTAssertFalse(logs.text.contains("sk-test-SECRET-4242"), "the API key reached the logs")
    }

    /// Two Ollama instances in `base_url`: a 500 or a dead instance moves the call to the
    /// other before any text; the failing one is ejected, then probed back.
    func testSeveralBaseURLsFailOverBeforeTheFirstTextAndEjectTheFailingOne() async throws {
        var b = FakeChatServer.Behaviour()
        b.answerTokens = ["工研院", "在", "新竹。"]
        let primary = try await FakeChatServer(port: ServerProcess.freePort(), behaviour: b)
        let standby = try await FakeChatServer(port: ServerProcess.freePort(), behaviour: b)
        defer { primary.stop(); standby.stop() }
        let manifest = """
            name = "ollama"
            kind = "llm"
            library = "libtonehost-llm-ollama.so"
            abi_version = 1
            [config]
            base_url = ["\(primary.url)", "\(standby.url)"]
            model = "m"
            eject_ms = 60000
            """
        let g = try generation(try manifests(llm: manifest))
        primary.behaviour.status500For = ["answer"]
        var r = await runPipeline(PipelineRequest(question: "工研院在哪裡？", convertTone: false), g)
        XCTAssertNil(r.failure)
        XCTAssertEqual(r.text, "工研院在新竹。")
        let primaryCalls = primary.received.count
        XCTAssertEqual(standby.received.count, 1)
        // Ejected: the next call goes straight to the standby.
        r = await runPipeline(PipelineRequest(question: "工研院在哪裡？", convertTone: false), g)
        XCTAssertEqual(r.text, "工研院在新竹。")
        XCTAssertEqual(primary.received.count, primaryCalls, "the ejected instance was asked again")
        // Both down: the failure names both.
        standby.stop()
        primary.behaviour.status500For = ["answer"]
        r = await runPipeline(PipelineRequest(question: "工研院在哪裡？", convertTone: false), g)
        XCTAssertNotNil(r.failure)
    }

    func testMidStreamFailureAndMalformedLines() async throws {
        for api in ["ollama", "openai"] {
            var b = FakeChatServer.Behaviour()
            b.failAfterTokens = 3
            b.malformedLines = true
            let fake = try await FakeChatServer(port: ServerProcess.freePort(), behaviour: b)
            let manifest = api == "ollama" ? Self.ollamaManifest(fake.url)
                : "name = \"o\"\nkind = \"llm\"\nlibrary = \"libtonehost-llm-openai.so\"\nabi_version = 1\n[config]\nbase_url = \"\(fake.url)\"\nmodel = \"m\"\napi_key = \"\"\n"
            let g = try generation(try manifests(llm: manifest))
            let r = await runPipeline(PipelineRequest(question: "What is ITRI?", convertTone: false), g)
            XCTAssertEqual(r.text, "ITRI is Taiwan's ", api)
            XCTAssertTrue(r.failure?.contains("GPU fell over") ?? false, "\(api): \(String(describing: r.failure))")
            // Still healthy: the next request (no failure configured) works.
            fake.behaviour.failAfterTokens = nil
            let again = await runPipeline(PipelineRequest(question: "What is ITRI?", convertTone: false), g)
            XCTAssertNil(again.failure, api)
            XCTAssertEqual(again.text, "ITRI is Taiwan's applied research institute.")
            fake.stop()
        }
    }

    func testUnreachableBackendIsACleanError() async throws {
        let g = try generation(try manifests(llm: Self.ollamaManifest("http://127.0.0.1:\(ServerProcess.freePort())")))
        let r = await runPipeline(PipelineRequest(question: "What is ITRI?", convertTone: false), g)
        XCTAssertTrue(r.failure?.contains("unreachable") ?? false, "\(String(describing: r.failure))")
    }

    func testWarmupReallyCallsTheBackend() async throws {
        let fake = try await FakeChatServer(port: ServerProcess.freePort())
        let g = try generation(try manifests(llm: Self.ollamaManifest(fake.url)))
        let message = try await g.llm.warmup(deadline: .seconds(10))
        XCTAssertTrue(message?.contains("llama3.2") ?? false, "\(String(describing: message))")
        XCTAssertTrue(fake.received.contains { FakeChatServer.purpose(of: $0) == "warmup" })
    }
}

/// Collects every log line (all levels) in memory.
final class LogCapture: @unchecked Sendable {
    private let lock = NSLock()
    private var lines: [String] = []
    var text: String { lock.lock(); defer { lock.unlock() }; return lines.joined(separator: "\n") }

    var logger: Logger {
        var l = Logger(label: "capture") { _ in Handler(capture: self) }
        l.logLevel = .trace
        return l
    }

    func append(_ s: String) { lock.lock(); lines.append(s); lock.unlock() }

    struct Handler: LogHandler {
        let capture: LogCapture
        var metadata: Logger.Metadata = [:]
        var logLevel: Logger.Level = .trace
        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { metadata[key] }
            set { metadata[key] = newValue }
        }
        func log(level: Logger.Level, message: Logger.Message, metadata: Logger.Metadata?, source: String, file: String, function: String, line: UInt) {
            let all = self.metadata.merging(metadata ?? [:]) { $1 }
            capture.append("\(level) \(message) \(all)")
        }
    }
}

extension LLMBackendTests {
    func testVisionModeDescribesTheFrame() async throws {
        var b = FakeChatServer.Behaviour()
        b.answerTokens = ["an elderly man ", "with a walking stick"]
        let fake = try await FakeChatServer(port: ServerProcess.freePort(), behaviour: b)
        let vision = """
            name = "vlm-vision"
            kind = "describer"
            library = "libtonehost-vlm-client.so"
            abi_version = 1
            priority = 20
            [config]
            mode = "openai-vision"
            url = "\(fake.url)/v1"
            model = "vision-test"
            api_key = ""
            """
        let g = try generation(try manifests(llm: Self.ollamaManifest(fake.url), extra: ["describer-vision.toml": vision]))
        XCTAssertEqual(g.describer?.name, "vlm-vision")
        let r = await runPipeline(PipelineRequest(question: "What is ITRI?", imageBase64: "aGVsbG8="), g)
        XCTAssertEqual(r.tone?.userDescription, "an elderly man with a walking stick")
        XCTAssertEqual(r.tone?.category, "elder_friendly")
        let body = try XCTUnwrap(fake.received.first { ($0["model"] as? String) == "vision-test" })
        let parts = (body["messages"] as? [[String: Any]])?.first?["content"] as? [[String: Any]] ?? []
        let image = parts.first { ($0["type"] as? String) == "image_url" }?["image_url"] as? [String: Any]
        XCTAssertEqual(image?["url"] as? String, "data:image/jpeg;base64,aGVsbG8=")
        // No frame and no snapshot_url: no description, casual tone, the answer still arrives.
        let none = await runPipeline(PipelineRequest(question: "What is ITRI?"), g)
        XCTAssertEqual(none.tone?.category, "casual_friendly")
        XCTAssertNil(none.failure)
    }

    func testEveryAvailableManifestLoads() throws {
        let available = TestPlugins.repoRoot.appendingPathComponent("plugin-manifests/available").path
        var env = ProcessInfo.processInfo.environment
        env["TONEHOST_PLUGIN_PATH"] = TestPlugins.productsDir
        for file in try FileManager.default.contentsOfDirectory(atPath: available) where file.hasSuffix(".toml") {
            let dir = TestPlugins.makeDirectory()
            try FileManager.default.copyItem(atPath: "\(available)/\(file)", toPath: "\(dir)/\(file)")
            var logger = Logger(label: "test")
            logger.logLevel = .critical
            let report = PluginLoader(directory: dir, environment: env, logger: logger).load()
            guard case .active = report.entries.first?.state else {
                XCTFail("\(file): \(String(describing: report.entries.first?.state))")
                continue
            }
        }
    }
}

extension LLMBackendTests {
    func testExtractiveAnswererStandsInWhenTheLLMIsDown() async throws {
        // llm-ollama.toml from available/ (priority 10) next to the default extractive answerer.
        let source = TestPlugins.repoRoot.appendingPathComponent("plugin-manifests").path
        let dir = TestPlugins.makeDirectory()
        for file in try FileManager.default.contentsOfDirectory(atPath: source) where file.hasSuffix(".toml") {
            try FileManager.default.copyItem(atPath: "\(source)/\(file)", toPath: "\(dir)/\(file)")
        }
        let ollama = try String(contentsOfFile: "\(source)/available/llm-ollama.toml", encoding: .utf8)
            .replacingOccurrences(of: "${OLLAMA_HOST:-http://127.0.0.1:11434}", with: "http://127.0.0.1:\(ServerProcess.freePort())")
        try ollama.write(toFile: "\(dir)/llm-ollama.toml", atomically: true, encoding: .utf8)
        let g = try generation(dir)
        XCTAssertEqual(g.llm.name, "ollama")
        XCTAssertEqual(g.fallbackLLM?.name, "extractive-answerer")
        let r = await runPipeline(PipelineRequest(question: "What is ITRI?", convertTone: false), g)
        XCTAssertNil(r.failure)
        XCTAssertTrue(r.text.contains("Industrial Technology Research Institute"), r.text)
    }
}
