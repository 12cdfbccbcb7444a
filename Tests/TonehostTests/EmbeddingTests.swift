import FakeBackends
import Foundation
import XCTest

/// The embedder plugin kind end to end: the bundled Ollama / OpenAI-compatible embedders against
/// a deterministic embedding server on loopback, `tonehost ingest` / `reembed` filling the
/// store's vectors (batches, resumption, model changes), and hybrid retrieval in `serve`.
final class EmbeddingTests: XCTestCase {
    var tonehost: String { TestPlugins.productsDir + "/tonehost" }
    var db = ""

    override func setUpWithError() throws {
        guard FileManager.default.isExecutableFile(atPath: tonehost) else { throw XCTSkip("no tonehost binary: run `swift build` first") }
        db = NSTemporaryDirectory() + "tonehost-embed-\(UUID().uuidString.prefix(8)).db"
    }

    override func tearDown() {
        for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: db + suffix) }
    }

    static func embedderManifest(_ url: String, api: String = "ollama", batch: Int = 4, extra: String = "") -> String {
        """
        name = "embedder-\(api)"
        kind = "embedder"
        library = "libtonehost-embedder-\(api).so"
        abi_version = 1
        batch_size = \(batch)
        deadline_ms = 10000
        [config]
        base_url = "\(api == "openai" ? url + "/v1" : url)"
        model = "fake-embed"
        \(api == "openai" ? "api_key = \"sk-embed-SECRET\"" : "")
        \(extra)
        """
    }

    /// A manifest directory holding only the embedder (what `ingest` loads).
    func embedderOnly(_ manifest: String) throws -> String {
        let dir = TestPlugins.makeDirectory()
        try manifest.write(toFile: "\(dir)/embedder.toml", atomically: true, encoding: .utf8)
        return dir
    }

    func environment() -> [String: String] {
        var env = ProcessInfo.processInfo.environment
        env["TONEHOST_PLUGIN_PATH"] = TestPlugins.productsDir
        return env
    }

    /// The corpus file, always at the same path (`ingest` keys documents by path).
    lazy var corpusDir = TestPlugins.makeDirectory()

    func corpus(_ count: Int, changed: Int? = nil) throws -> String {
        let dir = corpusDir
        var entries: [[String: String]] = []
        for i in 0..<count {
            let content = i % 2 == 0 ? "Exhibit \(i) of the ITRI hall shows robots and chips\(i == changed ? " (updated)" : "")."
                                     : "第\(i)號展品介紹工研院的半導體與綠能技術\(i == changed ? "（更新）" : "")。"
            entries.append(["title": "Exhibit \(i)", "content": content])
        }
        try JSONSerialization.data(withJSONObject: entries).write(to: URL(fileURLWithPath: "\(dir)/exhibits.json"))
        return "\(dir)/exhibits.json"
    }

    func testBothEmbeddersPassThePluginConformanceTest() async throws {
        let fake = try await FakeChatServer(port: ServerProcess.freePort())
        defer { fake.stop() }
        for api in ["ollama", "openai"] {
            let dir = try embedderOnly(Self.embedderManifest(fake.url, api: api))
            let r = try TestPlugins.run(tonehost, ["plugins", "test", "--manifest", "\(dir)/embedder.toml"], environment: environment())
            XCTAssertEqual(r.status, 0, r.output)
            XCTAssertTrue(r.output.contains("one vector per text, one dimension, both purposes"), r.output)
            XCTAssertTrue(r.output.contains("\(api):fake-embed"), r.output)
            XCTAssertFalse(r.output.contains("FAIL"), r.output)
        }
        XCTAssertTrue(fake.authorizations.contains("Bearer sk-embed-SECRET"), "the OpenAI-compatible embedder sends its key")
        XCTAssertTrue(fake.embeddedBatches.allSatisfy { $0.count <= 4 }, "batches respect batch_size")
    }

    /// An embedder in C from the header alone loads through a manifest, passes the conformance
    /// test, and fills a store's vectors.
    func testAThirdPartyCEmbedderFromTheHeaderAlone() throws {
        let library = try TestPlugins.library("char_embedder")
        var r = try TestPlugins.run(tonehost, ["plugins", "test", library], environment: environment())
        XCTAssertEqual(r.status, 0, r.output)
        XCTAssertTrue(r.output.contains("c:char-buckets-32, 32 dimensions"), r.output)
        let manifests = try embedderOnly("""
            name = "char-embedder"
            kind = "embedder"
            library = "\(library)"
            abi_version = 1
            """)
        r = try TestPlugins.run(tonehost, ["ingest", "--manifests", manifests, "--db", db, try corpus(3)], environment: environment())
        XCTAssertEqual(r.status, 0, r.output)
        XCTAssertTrue(r.output.contains("embedded 3 passages with char-embedder"), r.output)
    }

    func testIngestEmbedsInBatchesResumesAfterAnInterruptionAndSkipsUnchangedPassages() async throws {
        let fake = try await FakeChatServer(port: ServerProcess.freePort())
        defer { fake.stop() }
        let manifests = try embedderOnly(Self.embedderManifest(fake.url, batch: 4))
        let file = try corpus(10)
        // The third batch fails: the two batches before it are kept.
        fake.behaviour.embeddingRequestsBeforeFailure = 2
        var r = try TestPlugins.run(tonehost, ["ingest", "--manifests", manifests, "--db", db, file], environment: environment())
        XCTAssertEqual(r.status, 1, r.output)
        XCTAssertTrue(r.output.contains("ingested 1 files"), r.output)
        XCTAssertTrue(r.output.contains("run the command again"), r.output)
        XCTAssertTrue(r.output.contains("embedding model exploded"), r.output)
        // Run again: only the two passages still without a vector are embedded.
        fake.behaviour.embeddingRequestsBeforeFailure = nil
        r = try TestPlugins.run(tonehost, ["ingest", "--manifests", manifests, "--db", db, file], environment: environment())
        XCTAssertEqual(r.status, 0, r.output)
        XCTAssertTrue(r.output.contains("embedded 2 passages with embedder-ollama (8 already had a vector"), r.output)
        XCTAssertEqual(fake.embeddedBatches.map(\.count), [4, 4, 1, 2], "two batches, the model probe of the second run, the rest")
        // One entry changed: one passage embedded, its old vector dropped.
        r = try TestPlugins.run(tonehost, ["ingest", "--manifests", manifests, "--db", db, try corpus(10, changed: 3)], environment: environment())
        XCTAssertEqual(r.status, 0, r.output)
        XCTAssertTrue(r.output.contains("embedded 1 passages"), r.output)
        XCTAssertTrue(r.output.contains("1 stale dropped"), r.output)
        XCTAssertTrue(fake.embeddedBatches.last?.first?.contains("（更新）") == true, "\(fake.embeddedBatches.last ?? [])")
    }

    /// Several embedding instances (`base_url` lists them): a batch moves past one that is down
    /// or answers 500, both APIs; the ingest completes on the instance that answers.
    func testEmbeddingBatchesFailOverToTheNextInstance() async throws {
        for api in ["ollama", "openai"] {
            let good = try await FakeChatServer(port: ServerProcess.freePort())
            defer { good.stop() }
            var failing = FakeChatServer.Behaviour()
            failing.embeddingRequestsBeforeFailure = 0
            let broken = try await FakeChatServer(port: ServerProcess.freePort(), behaviour: failing)
            defer { broken.stop() }
            let down = "http://127.0.0.1:\(ServerProcess.freePort())"
            let suffix = api == "openai" ? "/v1" : ""
            let list = [down, broken.url, good.url].map { "\"\($0)\(suffix)\"" }.joined(separator: ", ")
            let manifest = Self.embedderManifest(good.url, api: api, batch: 4)
                .replacingOccurrences(of: "base_url = \"\(good.url)\(suffix)\"", with: "base_url = [\(list)]")
            XCTAssertTrue(manifest.contains("base_url = ["), manifest)
            let manifests = try embedderOnly(manifest)
            let path = NSTemporaryDirectory() + "tonehost-embed-failover-\(api)-\(UUID().uuidString.prefix(8)).db"
            let r = try TestPlugins.run(tonehost, ["ingest", "--manifests", manifests, "--db", path, try corpus(6)], environment: environment())
            XCTAssertEqual(r.status, 0, "\(api): \(r.output)")
            XCTAssertTrue(r.output.contains("embedded 6 passages"), "\(api): \(r.output)")
            XCTAssertEqual(good.embeddedBatches.joined().count, 6, "\(api): the six passages went to the instance that answers")
            for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + suffix) }
        }
    }

    func testAnotherModelIsRefusedAndReembedRebuilds() async throws {
        let fake = try await FakeChatServer(port: ServerProcess.freePort())
        defer { fake.stop() }
        let file = try corpus(5)
        var r = try TestPlugins.run(tonehost, ["ingest", "--manifests", try embedderOnly(Self.embedderManifest(fake.url)), "--db", db, file],
                                    environment: environment())
        XCTAssertEqual(r.status, 0, r.output)
        // Now the operator switches to the OpenAI-compatible server (another model identity).
        let other = try embedderOnly(Self.embedderManifest(fake.url, api: "openai"))
        r = try TestPlugins.run(tonehost, ["ingest", "--manifests", other, "--db", db, file], environment: environment())
        XCTAssertEqual(r.status, 2, r.output)
        XCTAssertTrue(r.output.contains("ollama:fake-embed") && r.output.contains("openai:fake-embed") && r.output.contains("tonehost reembed"), r.output)
        r = try TestPlugins.run(tonehost, ["reembed", "--manifests", other, "--db", db], environment: environment())
        XCTAssertEqual(r.status, 0, r.output)
        XCTAssertTrue(r.output.contains("dropping 5 vectors by ollama:fake-embed"), r.output)
        XCTAssertTrue(r.output.contains("embedded 5 passages"), r.output)
        r = try TestPlugins.run(tonehost, ["ingest", "--manifests", other, "--db", db, file], environment: environment())
        XCTAssertEqual(r.status, 0, r.output)
        XCTAssertTrue(r.output.contains("embedded 0 passages"), r.output)
        // Without an embedder, reembed says what is missing.
        r = try TestPlugins.run(tonehost, ["reembed", "--manifests", TestPlugins.makeDirectory(), "--db", db], environment: environment())
        XCTAssertEqual(r.status, 2, r.output)
        XCTAssertTrue(r.output.contains("no embedder manifest is active"), r.output)
    }

    /// `serve` with an embedder: /init embeds the sample through the host's embedder service,
    /// each question is embedded (purpose query) and retrieval is hybrid; warm-up covers both.
    func testServeEmbedsQueriesAndInitEmbedsTheSample() async throws {
        let fake = try await FakeChatServer(port: ServerProcess.freePort())
        defer { fake.stop() }
        let dir = try LLMBackendTests.manifestDirectory(llm: LLMBackendTests.ollamaManifest(fake.url),
                                                        extra: ["embedder.toml": Self.embedderManifest(fake.url, batch: 16)])
        let s = try ServerProcess(["serve", "--manifests", dir, "--db", db, "--auto-init"])
        defer { s.stop() }
        let health = try HTTP.get(s.url + "/health")
        XCTAssertEqual(health.json["rag_initialized"] as? Bool, true, health.text)
        let initialised = try HTTP.post(s.url + "/api/rag-llm/init", json: [:] as [String: Any])
        XCTAssertEqual(initialised.json["success"] as? Bool, true, initialised.text)
        let message = initialised.json["message"] as? String ?? ""
        XCTAssertTrue(message.contains("with vectors by ollama:fake-embed"), message)
        let sampleTexts = fake.embeddedBatches.joined().count
        XCTAssertGreaterThan(sampleTexts, 10, "the sample's passages were embedded")

        let r = try HTTP.post(s.url + "/api/rag-llm/query", json: ["text_user_msg": "工研院在哪裡？", "session_id": "embed-\(UUID())"])
        XCTAssertEqual(r.status, 200)
        XCTAssertTrue(r.text.hasSuffix("END_FLAG\n"), r.text)
        XCTAssertFalse(r.text.contains("ERROR:"), r.text)
        XCTAssertTrue(fake.embeddedBatches.contains(["工研院在哪裡？"]), "the question was embedded: \(fake.embeddedBatches.suffix(3))")
        XCTAssertFalse(s.log.contains("vectors not used"), s.log)

        let warm = try HTTP.post(s.url + "/api/rag-llm/warmup", json: [:] as [String: Any])
        let embedding = warm.json["embedding_model"] as? [String: Any] ?? [:]
        XCTAssertEqual(embedding["status"] as? String, "success", warm.text)
        let warmMessage = embedding["message"] as? String ?? ""
        XCTAssertTrue(warmMessage.contains("embedding model fake-embed ready") && warmMessage.contains("vector index"), warmMessage)
    }

    /// An embedder that is down costs the vectors, not the answer.
    func testAnEmbedderFailureFallsBackToLexicalRetrieval() async throws {
        let fake = try await FakeChatServer(port: ServerProcess.freePort())
        defer { fake.stop() }
        let dir = try LLMBackendTests.manifestDirectory(llm: LLMBackendTests.ollamaManifest(fake.url),
                                                        extra: ["embedder.toml": Self.embedderManifest(fake.url)])
        let s = try ServerProcess(["serve", "--manifests", dir, "--db", db])
        defer { s.stop() }
        fake.behaviour.status500For = ["embed"]
        let r = try HTTP.post(s.url + "/api/rag-llm/query", json: ["text_user_msg": "What is ITRI?", "session_id": "down-\(UUID())"])
        XCTAssertEqual(r.status, 200)
        XCTAssertFalse(r.text.contains("ERROR:"), r.text)
        XCTAssertTrue(r.text.contains("ITRI"), r.text)
        XCTAssertTrue(s.log.contains("query embedding failed; retrieving lexically"), s.log)
    }

    /// knowledge_language: an English question on a Chinese knowledge base is also translated by
    /// the rewrite llm and both queries are retrieved and fused.
    func testCrossLanguageQuestionsAreTranslatedIntoTheKnowledgeBaseLanguage() async throws {
        var behaviour = FakeChatServer.Behaviour()
        behaviour.translateReply = "工研院院長是誰"
        let fake = try await FakeChatServer(port: ServerProcess.freePort(), behaviour: behaviour)
        defer { fake.stop() }
        let dir = try LLMBackendTests.manifestDirectory(llm: LLMBackendTests.ollamaManifest(fake.url),
                                                        extra: ["rewrite.toml": LLMBackendTests.ollamaManifest(fake.url, role: "rewrite", name: "rewriter")])
        let s = try ServerProcess(["serve", "--manifests", dir, "--db", db], environment: ["TONEHOST_KNOWLEDGE_LANGUAGE": "zh-TW"])
        defer { s.stop() }
        let r = try HTTP.post(s.url + "/api/rag-llm/query", json: ["text_user_msg": "Who is the current president of ITRI?", "session_id": "x-\(UUID())"])
        XCTAssertEqual(r.status, 200)
        XCTAssertFalse(r.text.contains("ERROR:"), r.text)
        let purposes = fake.received.map(FakeChatServer.purpose)
        XCTAssertTrue(purposes.contains("translate"), "\(purposes)")
        // The answer prompt holds passages found by the Chinese query (the sample's 院長 passage).
        let answerPrompt = fake.received.last { FakeChatServer.purpose(of: $0) == "answer" }
        let text = ((answerPrompt?["messages"] as? [[String: Any]]) ?? []).compactMap { $0["content"] as? String }.joined()
        XCTAssertTrue(text.contains("院長"), text.prefix(2000).description)
        // A question already in the knowledge base's language is not translated.
        let before = fake.received.count
        _ = try HTTP.post(s.url + "/api/rag-llm/query", json: ["text_user_msg": "工研院院長是誰？", "session_id": "y-\(UUID())"])
        XCTAssertFalse(fake.received.dropFirst(before).map(FakeChatServer.purpose).contains("translate"))
    }
}
