import CSQLite
import FakeBackends
import Foundation
import XCTest

/// A knowledge base written by a tonehost of schema 1 (before vectors: `passages` without
/// `text_hash`, no `embeddings` / `embedding_model` tables, no `content_version`) opened by this
/// one through the command line: upgraded in place to schema 2 with every passage kept, then
/// searched, embedded and re-ingested like a store this build made.
final class StoreUpgradeTests: XCTestCase {
    var tonehost: String { TestPlugins.productsDir + "/tonehost" }
    var manifests: String { TestPlugins.repoRoot.appendingPathComponent("plugin-manifests").path }
    var scratch = ""
    var db: String { scratch + "/v1.db" }

    override func setUpWithError() throws {
        guard FileManager.default.isExecutableFile(atPath: tonehost) else {
            XCTFail("\(tonehost) is missing: run `swift build` before `swift test`")
            throw XCTSkip("no tonehost binary")
        }
        scratch = NSTemporaryDirectory() + "tonehost-upgrade-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: scratch, withIntermediateDirectories: true)
    }

    override func tearDown() {
        try? FileManager.default.removeItem(atPath: scratch)
    }

    struct Problem: Error, CustomStringConvertible { let description: String }

    /// Runs `sql` on the file; returns the first column of each row as text.
    @discardableResult
    func sqlite(_ sql: String, readOnly: Bool = true) throws -> [String] {
        var handle: OpaquePointer?
        guard sqlite3_open_v2(db, &handle, readOnly ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE, nil) == SQLITE_OK else {
            throw Problem(description: "cannot open \(db)")
        }
        defer { sqlite3_close_v2(handle) }
        var rows: [String] = []
        var rest = sql
        while !rest.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty {
            var stmt: OpaquePointer?
            var tail: UnsafePointer<CChar>?
            let consumed: Int = try rest.withCString { start in
                guard sqlite3_prepare_v2(handle, start, -1, &stmt, &tail) == SQLITE_OK else {
                    throw Problem(description: "\(String(cString: sqlite3_errmsg(handle))) in: \(rest)")
                }
                return tail.map { $0 - start } ?? Int(strlen(start))
            }
            defer { sqlite3_finalize(stmt) }
            rest = String(decoding: Array(rest.utf8).dropFirst(consumed), as: UTF8.self)
            guard let stmt else { continue }
            while true {
                let rc = sqlite3_step(stmt)
                if rc == SQLITE_DONE { break }
                guard rc == SQLITE_ROW else { throw Problem(description: "\(String(cString: sqlite3_errmsg(handle))) in: \(sql)") }
                rows.append(sqlite3_column_text(stmt, 0).map { String(cString: $0) } ?? "NULL")
            }
        }
        return rows
    }

    /// The corpus: English and Traditional Chinese entries, each with a word of its own.
    func corpus(changed: Int? = nil) throws -> String {
        var entries: [[String: String]] = []
        for i in 0..<12 {
            let content = i % 2 == 0
                ? "Gallery \(i) of the ITRI exhibition hall shows the robot \(["Alder", "Birch", "Cedar", "Dogwood", "Elm", "Fir"][i / 2])\(i == changed ? ", now repainted" : "")."
                : "第\(i)展區介紹工研院的\(["晶片", "綠能", "電池", "感測器", "機器人", "顯示器"][i / 2])技術\(i == changed ? "（新版）" : "")。"
            entries.append(["title": "Gallery \(i)", "content": content])
        }
        let path = scratch + "/galleries.json"
        try JSONSerialization.data(withJSONObject: entries).write(to: URL(fileURLWithPath: path))
        return path
    }

    /// A schema-1 store, as tonehost wrote it before commit 00a9a22 (vectors, schema 2): the
    /// passages ingested by this build, then what schema 2 added taken away again.
    func makeSchemaOneStore() throws {
        let empty = TestPlugins.makeDirectory()
        let r = try TestPlugins.run(tonehost, ["ingest", "--manifests", empty, "--no-vectors", "--db", db, try corpus()])
        XCTAssertEqual(r.status, 0, r.output)
        try sqlite("""
            PRAGMA journal_mode=DELETE;
            DROP INDEX passages_by_text_hash;
            ALTER TABLE passages DROP COLUMN text_hash;
            DROP TABLE embeddings;
            DROP TABLE embedding_model;
            DELETE FROM meta WHERE key = 'content_version';
            PRAGMA user_version = 1;
            """, readOnly: false)
        // Schema 1's passages table, column for column (git show 00a9a22^:Sources/KnowledgeStore/KnowledgeStore.swift).
        XCTAssertEqual(try sqlite("SELECT name FROM pragma_table_info('passages')"),
                       ["id", "document_id", "ordinal", "title", "content", "source", "category", "hierarchy", "language"])
        XCTAssertEqual(try sqlite("PRAGMA user_version"), ["1"])
        XCTAssertEqual(try sqlite("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'passages_fts_%' ORDER BY name"),
                       ["documents", "meta", "passages", "passages_fts", "passages_vocab"])
    }

    func environment() -> [String: String] {
        var env = ProcessInfo.processInfo.environment
        env["TONEHOST_PLUGIN_PATH"] = TestPlugins.productsDir
        return env
    }

    func testASchemaOneStoreIsUpgradedInPlaceAndKeepsEveryPassage() async throws {
        try makeSchemaOneStore()
        let before = try sqlite("SELECT title || '|' || content FROM passages ORDER BY id")
        XCTAssertEqual(before.count, 12)

        // eval: the store is opened (and upgraded) by the SQLite retriever; every passage is found
        // by its own word.
        let set = scratch + "/galleries.tsv"
        var lines = ""
        for (i, word) in ["Alder", "Birch", "Cedar", "Dogwood", "Elm", "Fir"].enumerated() {
            lines += "Which gallery shows the robot \(word)?\ttitle:Gallery \(i * 2)\n"
        }
        for (i, word) in ["晶片", "綠能", "電池", "感測器", "機器人", "顯示器"].enumerated() {
            lines += "哪個展區介紹\(word)技術？\ttitle:Gallery \(i * 2 + 1)\n"
        }
        try lines.write(toFile: set, atomically: true, encoding: .utf8)
        let e = try TestPlugins.run(tonehost, ["eval", "--manifests", manifests, "--kb", db, "--k", "1", set])
        XCTAssertEqual(e.status, 0, e.output)
        XCTAssertTrue(e.output.contains("recall@1 1.000 (12/12)"), e.output)
        XCTAssertEqual(try sqlite("PRAGMA user_version"), ["2"])
        XCTAssertEqual(try sqlite("SELECT title || '|' || content FROM passages ORDER BY id"), before, "no passage lost or changed")
        XCTAssertEqual(try sqlite("SELECT count(*) FROM passages WHERE text_hash = ''"), ["0"], "every passage has its vector key")
        XCTAssertEqual(try sqlite("SELECT count(DISTINCT text_hash) FROM passages"), ["12"])
        XCTAssertEqual(try sqlite("SELECT value FROM meta WHERE key = 'passages'"), ["12"])

        // ingest with an embedder: the upgraded passages get their vectors, as a schema-2 store's.
        let fake = try await FakeChatServer(port: ServerProcess.freePort())
        defer { fake.stop() }
        let embedder = TestPlugins.makeDirectory()
        try EmbeddingTests.embedderManifest(fake.url, batch: 8).write(toFile: embedder + "/embedder.toml", atomically: true, encoding: .utf8)
        var r = try TestPlugins.run(tonehost, ["ingest", "--manifests", embedder, "--db", db], environment: environment())
        XCTAssertEqual(r.status, 0, r.output)
        XCTAssertTrue(r.output.contains("embedded 12 passages with embedder-ollama"), r.output)
        XCTAssertEqual(try sqlite("SELECT count(*) FROM embeddings"), ["12"])
        XCTAssertEqual(try sqlite("SELECT count(*) FROM passages p JOIN embeddings e ON e.text_hash = p.text_hash"), ["12"])

        // The hashes the upgrade computed are the ones ingest computes: the unchanged file is
        // skipped, one changed entry re-embeds one passage and drops its stale vector.
        r = try TestPlugins.run(tonehost, ["ingest", "--manifests", embedder, "--db", db, try corpus()], environment: environment())
        XCTAssertEqual(r.status, 0, r.output)
        XCTAssertFalse(r.output.contains("embedded 1"), r.output)
        r = try TestPlugins.run(tonehost, ["ingest", "--manifests", embedder, "--db", db, try corpus(changed: 4)], environment: environment())
        XCTAssertEqual(r.status, 0, r.output)
        XCTAssertTrue(r.output.contains("embedded 1 passages"), r.output)
        XCTAssertTrue(r.output.contains("1 stale dropped"), r.output)
        XCTAssertEqual(try sqlite("SELECT count(*) FROM passages"), ["12"])
    }

    /// `serve` opens a schema-1 store too (the retriever upgrades it) and answers from it — here
    /// one whose index an older tokenizer built, so the same open also rebuilds the index.
    func testServeAnswersFromAnUpgradedSchemaOneStore() throws {
        try makeSchemaOneStore()
        try sqlite("UPDATE meta SET value = 0 WHERE key = 'terms_fingerprint'", readOnly: false)
        let s = try ServerProcess(["serve", "--manifests", manifests, "--db", db])
        defer { s.stop() }
        let r = try HTTP.post(s.url + "/api/rag-llm/query", json: ["text_user_msg": "Which gallery shows the robot Cedar?", "session_id": "v1-\(UUID())"])
        XCTAssertEqual(r.status, 200)
        XCTAssertTrue(r.text.contains("Cedar"), r.text)
        XCTAssertFalse(r.text.contains("ERROR:"), r.text)
        XCTAssertEqual(try sqlite("PRAGMA user_version"), ["2"])
        XCTAssertEqual(try sqlite("SELECT count(*) FROM passages"), ["12"])
        XCTAssertNotEqual(try sqlite("SELECT value FROM meta WHERE key = 'terms_fingerprint'"), ["0"], "the index was rebuilt")
    }

    /// A store of a newer schema is refused with the file, both versions and the fix.
    func testANewerSchemaIsRefusedNamingTheFileAndTheFix() throws {
        try makeSchemaOneStore()
        try sqlite("PRAGMA user_version = 9", readOnly: false)
        let empty = TestPlugins.makeDirectory()
        let r = try TestPlugins.run(tonehost, ["ingest", "--manifests", empty, "--db", db, try corpus()])
        XCTAssertEqual(r.status, 2, r.output)
        XCTAssertTrue(r.output.contains(db), r.output)
        XCTAssertTrue(r.output.contains("schema version 9"), r.output)
        XCTAssertTrue(r.output.contains("upgrade tonehost"), r.output)
        XCTAssertEqual(try sqlite("SELECT count(*) FROM passages"), ["12"], "nothing was touched")
    }
}
