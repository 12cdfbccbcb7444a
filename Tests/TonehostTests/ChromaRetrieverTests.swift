import FakeBackends
import Foundation
import XCTest

/// The Chroma retriever against a real Chroma server (`chroma run` on loopback, started here and
/// stopped by PID), its collection filled through Chroma's own HTTP API. `scripts/setup.sh`
/// installs chromadb into .build-chroma/venv; TONEHOST_CHROMA may name another `chroma`.
final class ChromaRetrieverTests: XCTestCase {
    nonisolated(unsafe) static var server: Process?
    nonisolated(unsafe) static var port = 0
    static let dimension = 64

    static var chromaExecutable: String? {
        let candidates: [String?] = [ProcessInfo.processInfo.environment["TONEHOST_CHROMA"],
                                     TestPlugins.repoRoot.appendingPathComponent(".build-chroma/venv/bin/chroma").path]
        return candidates.compactMap { $0 }.first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    var base: String { "http://127.0.0.1:\(Self.port)/api/v2/tenants/default_tenant/databases/default_database/collections" }

    /// One Chroma server for the class.
    func chroma() throws {
        if Self.server != nil { return }
        guard let executable = Self.chromaExecutable else {
            throw XCTSkip("chroma is not installed (scripts/setup.sh puts it in .build-chroma/venv; or set TONEHOST_CHROMA)")
        }
        let data = TestPlugins.makeDirectory()
        let p = Process()
        p.executableURL = URL(fileURLWithPath: executable)
        Self.port = ServerProcess.freePort()
        p.arguments = ["run", "--host", "127.0.0.1", "--port", "\(Self.port)", "--path", data]
        var env = ProcessInfo.processInfo.environment
        env["ANONYMIZED_TELEMETRY"] = "False"
        p.environment = env
        p.standardOutput = FileHandle.nullDevice
        p.standardError = FileHandle.nullDevice
        try p.run()
        Self.server = p
        let deadline = Date().addingTimeInterval(60)
        while Date() < deadline {
            if let r = try? HTTP.get("http://127.0.0.1:\(Self.port)/api/v2/heartbeat", timeout: 1), r.status == 200 { return }
            Thread.sleep(forTimeInterval: 0.2)
        }
        throw NSError(domain: "chroma", code: 1, userInfo: [NSLocalizedDescriptionKey: "chroma did not answer on port \(Self.port)"])
    }

    override class func tearDown() {
        if let p = server, p.isRunning {
            // The PID we started: `chroma run` stops on SIGINT (it ignores SIGTERM); SIGKILL after 5 s.
            kill(p.processIdentifier, SIGINT)
            let giveUp = Date().addingTimeInterval(5)
            while p.isRunning && Date() < giveUp { Thread.sleep(forTimeInterval: 0.05) }
            if p.isRunning { kill(p.processIdentifier, SIGKILL) }
            p.waitUntilExit()
        }
        server = nil
    }

    /// Creates `name` and adds the bundled sample's entries with the fake embedder's vectors.
    func fillCollection(_ name: String) throws -> Int {
        let created = try HTTP.post(base, json: ["name": name, "get_or_create": true, "metadata": ["hnsw:space": "cosine"]])
        XCTAssertTrue((200..<300).contains(created.status), created.text)
        let id = try XCTUnwrap(created.json["id"] as? String, created.text)
        let sample = TestPlugins.repoRoot.appendingPathComponent("Sources/KnowledgeStore/SampleKnowledge/itri.json")
        let entries = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(contentsOf: sample)) as? [[String: Any]])
        var ids: [String] = [], documents: [String] = [], metadatas: [[String: String]] = [], embeddings: [[Double]] = []
        for (i, e) in entries.enumerated() {
            let title = e["title"] as? String ?? "", content = e["content"] as? String ?? ""
            ids.append("itri-\(i)")
            documents.append(content)
            metadatas.append(["title": title, "source": "itri.json"])
            embeddings.append(FakeChatServer.embedding(title + "\n" + content, dimension: Self.dimension))
        }
        let added = try HTTP.post("\(base)/\(id)/add", json: ["ids": ids, "documents": documents, "metadatas": metadatas, "embeddings": embeddings])
        XCTAssertTrue((200..<300).contains(added.status), added.text)
        return entries.count
    }

    func manifests(_ fake: FakeChatServer, collection: String) throws -> String {
        let chroma = """
            name = "chroma"
            kind = "retriever"
            library = "libtonehost-chroma-retriever.so"
            abi_version = 1
            priority = 10
            required = true
            deadline_ms = 10000
            [config]
            base_url = "http://127.0.0.1:\(Self.port)"
            collection = "\(collection)"
            """
        return try LLMBackendTests.manifestDirectory(llm: LLMBackendTests.ollamaManifest(fake.url), extra: [
            "retriever-chroma.toml": chroma,
            "embedder.toml": EmbeddingTests.embedderManifest(fake.url, batch: 16),
        ])
    }

    func db() -> String { NSTemporaryDirectory() + "tonehost-chroma-\(UUID().uuidString.prefix(8)).db" }

    func testServesAnExistingCollectionThroughTheOriginalContract() async throws {
        try chroma()
        let count = try fillCollection("itri-sample")
        let fake = try await FakeChatServer(port: ServerProcess.freePort())
        defer { fake.stop() }
        let s = try ServerProcess(["serve", "--manifests", try manifests(fake, collection: "itri-sample"), "--db", db(), "--auto-init"])
        defer { s.stop() }
        XCTAssertEqual(try HTTP.get(s.url + "/health").json["rag_initialized"] as? Bool, true)
        let initialised = try HTTP.post(s.url + "/api/rag-llm/init", json: [:] as [String: Any])
        XCTAssertEqual(initialised.json["success"] as? Bool, true, initialised.text)
        XCTAssertEqual(initialised.json["message"] as? String, "Chroma collection itri-sample ready (\(count) records, \(Self.dimension) dimensions)")

        let r = try HTTP.post(s.url + "/api/rag-llm/query", json: ["text_user_msg": "工研院是哪一年成立的？", "session_id": "c-\(UUID())"])
        XCTAssertEqual(r.status, 200)
        XCTAssertFalse(r.text.contains("ERROR:"), r.text)
        XCTAssertTrue(r.text.hasSuffix("END_FLAG\n"))
        // The answering llm was handed Chroma's documents, titled from the metadata.
        let prompt = (fake.received.last { FakeChatServer.purpose(of: $0) == "answer" }?["messages"] as? [[String: Any]] ?? [])
            .compactMap { $0["content"] as? String }.joined()
        let sample = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(contentsOf: TestPlugins.repoRoot
            .appendingPathComponent("Sources/KnowledgeStore/SampleKnowledge/itri.json"))) as? [[String: Any]])
        let handed = sample.filter { e in prompt.contains("— \(e["title"] as? String ?? "?")>>>\n\(String((e["content"] as? String ?? "?").prefix(30)))") }
        XCTAssertEqual(handed.count, 6, "six records, each with its title and document: \(prompt.prefix(1500))")
        XCTAssertTrue(prompt.contains("工研院"), String(prompt.prefix(500)))
        let warm = try HTTP.post(s.url + "/api/rag-llm/warmup", json: [:] as [String: Any])
        XCTAssertEqual(warm.json["overall_success"] as? Bool, true, warm.text)
    }

    func testAMissingCollectionAndADimensionMismatchAreNamed() async throws {
        try chroma()
        _ = try fillCollection("itri-dims")
        let fake = try await FakeChatServer(port: ServerProcess.freePort())
        defer { fake.stop() }
        let missing = try ServerProcess(["serve", "--manifests", try manifests(fake, collection: "no-such-collection"), "--db", db()])
        defer { missing.stop() }
        let r = try HTTP.post(missing.url + "/api/rag-llm/query", json: ["text_user_msg": "What is ITRI?", "session_id": "m-\(UUID())"])
        XCTAssertEqual(r.status, 200)
        XCTAssertTrue(r.text.contains("ERROR:") && r.text.contains("'no-such-collection' does not exist"), r.text)
        XCTAssertTrue(r.text.hasSuffix("\nEND_FLAG\n"), r.text)
        let initialised = try HTTP.post(missing.url + "/api/rag-llm/init", json: [:] as [String: Any])
        XCTAssertEqual(initialised.json["success"] as? Bool, false, initialised.text)
        XCTAssertEqual(try HTTP.get(missing.url + "/health").json["rag_initialized"] as? Bool, false)
        XCTAssertTrue(missing.log.contains("does not exist"), missing.log)

        fake.behaviour.embeddingDimension = 32
        let mismatched = try ServerProcess(["serve", "--manifests", try manifests(fake, collection: "itri-dims"), "--db", db()])
        defer { mismatched.stop() }
        let m = try HTTP.post(mismatched.url + "/api/rag-llm/query", json: ["text_user_msg": "What is ITRI?", "session_id": "d-\(UUID())"])
        XCTAssertTrue(m.text.contains("ERROR:") && m.text.contains("dimension mismatch") && m.text.contains("64") && m.text.contains("32"), m.text)
    }
}
