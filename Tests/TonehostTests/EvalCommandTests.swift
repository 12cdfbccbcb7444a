import FakeBackends
import Foundation
import XCTest

/// `tonehost eval` through the real executable, the bundled plugins and the repo's manifests.
final class EvalCommandTests: XCTestCase {
    var tonehost: String { TestPlugins.productsDir + "/tonehost" }
    var manifests: String { TestPlugins.repoRoot.appendingPathComponent("plugin-manifests").path }
    var sampleSet: String { TestPlugins.repoRoot.appendingPathComponent("eval/sample.tsv").path }
    var scratch: String = ""

    override func setUpWithError() throws {
        guard FileManager.default.isExecutableFile(atPath: tonehost) else {
            XCTFail("\(tonehost) is missing: run `swift build` before `swift test` (.ci/run does)")
            throw XCTSkip("no tonehost binary")
        }
        scratch = NSTemporaryDirectory() + "tonehost-eval-test-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: scratch, withIntermediateDirectories: true)
    }

    override func tearDown() {
        try? FileManager.default.removeItem(atPath: scratch)
    }

    func eval(_ arguments: [String]) throws -> (status: Int32, output: String) {
        let r = try TestPlugins.run(tonehost, ["eval", "--manifests", manifests] + arguments)
        return (r.status, r.output)
    }

    /// A figure from the summary's "all" line: "recall@6 0.970 (32/33)".
    func figure(_ name: String, in output: String) -> Double? {
        guard let line = output.split(separator: "\n").first(where: { $0.hasPrefix("all") }),
              let range = line.range(of: name + " ") else { return nil }
        return Double(line[range.upperBound...].prefix { $0 == "." || $0.isNumber })
    }

    func testTheShippedSampleSetScoresRetrievalAndAnswers() throws {
        let r = try eval(["--kb", "sample", "--answer", "--min-recall", "0.9", "--min-answers", "0.85", sampleSet])
        XCTAssertEqual(r.status, 0, r.output)
        XCTAssertTrue(r.output.contains("33 questions, k=6"), r.output)
        let recall = try XCTUnwrap(figure("recall@6", in: r.output), r.output)
        let mrr = try XCTUnwrap(figure("MRR", in: r.output), r.output)
        let answers = try XCTUnwrap(figure("answers", in: r.output), r.output)
        XCTAssertGreaterThanOrEqual(recall, 0.9, r.output)
        XCTAssertGreaterThanOrEqual(mrr, 0.8, r.output)
        XCTAssertGreaterThanOrEqual(answers, 0.85, r.output)
        // Broken down by tag.
        for tag in ["factoid", "paraphrase", "conversational", "none"] {
            XCTAssertTrue(r.output.contains("\n  \(tag) "), "no line for \(tag): \(r.output)")
        }
    }

    /// With an embedder manifest, eval retrieves as the pipeline does: each question embedded
    /// (purpose query), the scratch sample store embedded first, the mode printed.
    func testWithAnEmbedderTheQuestionsAreEmbeddedAndRetrievalIsHybrid() async throws {
        let fake = try await FakeChatServer(port: ServerProcess.freePort())
        defer { fake.stop() }
        let dir = TestPlugins.makeDirectory()
        for file in try FileManager.default.contentsOfDirectory(atPath: manifests) where file.hasSuffix(".toml") {
            try FileManager.default.copyItem(atPath: "\(manifests)/\(file)", toPath: "\(dir)/\(file)")
        }
        try EmbeddingTests.embedderManifest(fake.url, batch: 16).write(toFile: dir + "/embedder.toml", atomically: true, encoding: .utf8)
        var env = ProcessInfo.processInfo.environment
        env["TONEHOST_PLUGIN_PATH"] = TestPlugins.productsDir
        let r = try TestPlugins.run(tonehost, ["eval", "--manifests", dir, "--kb", "sample", sampleSet], environment: env)
        XCTAssertEqual(r.status, 0, r.output)
        // (The fake's hashed bag-of-words vectors are no model: the figures are not judged here;
        // scripts/semantic-bench.py measures real ones.)
        XCTAssertNotNil(figure("recall@6", in: r.output), r.output)
        XCTAssertTrue(r.output.contains("retrieval: hybrid, questions embedded by embedder-ollama (ollama:fake-embed)"), r.output)
        XCTAssertTrue(r.output.contains("with vectors by ollama:fake-embed"), r.output)
        XCTAssertTrue(fake.embeddedBatches.joined().contains("What is ITRI?"), "the questions were embedded")
        XCTAssertFalse(r.output.contains("vectors not used"), r.output)

        // Without the embedder: lexical, said so.
        let lexical = try eval(["--kb", "sample", sampleSet])
        XCTAssertTrue(lexical.output.contains("retrieval: lexical (no embedder)"), lexical.output)

        // An embedder that is down stops the run instead of reporting lexical figures as hybrid.
        fake.behaviour.status500For = ["embed"]
        let down = try TestPlugins.run(tonehost, ["eval", "--manifests", dir, "--kb", "sample", sampleSet], environment: env)
        XCTAssertEqual(down.status, 2, down.output)
        XCTAssertTrue(down.output.contains("failed"), down.output)
    }

    func testMissesAreListedWithTheirLineAndTheThresholdsSetTheExitStatus() throws {
        let file = scratch + "/set.tsv"
        try """
            # a comment, then a blank line

            When was ITRI founded?\ttitle:How ITRI Was Founded in 1973\t1973\tfactoid
            工研院是哪一年成立的？\tre:1973年\t1973
            What is ITRI?\ttitle:No Such Passage\tthe moon
            What is the weather on Mars?\t-\tdon't have information\tnone

            """.write(toFile: file, atomically: true, encoding: .utf8)
        var r = try eval(["--kb", "sample", "--answer", "--k", "3", file])
        XCTAssertEqual(r.status, 0, r.output)
        XCTAssertTrue(r.output.contains("4 questions, k=3"), r.output)
        XCTAssertEqual(figure("recall@3", in: r.output), 0.667, r.output)
        XCTAssertEqual(figure("answers", in: r.output), 0.75, r.output)
        XCTAssertTrue(r.output.contains("misses (1):"), r.output)
        XCTAssertTrue(r.output.contains("line 5: What is ITRI?"), r.output)
        XCTAssertTrue(r.output.contains("retrieval: expected title:No Such Passage; got 1. "), r.output)
        XCTAssertTrue(r.output.contains("answer: expected /the moon/; got "), r.output)

        r = try eval(["--kb", "sample", "--min-recall", "0.9", file])
        XCTAssertEqual(r.status, 1, r.output)
        XCTAssertTrue(r.output.contains("recall@6 0.667 is below --min-recall 0.900"), r.output)
    }

    func testBadInputIsNamedWithTheFileLineAndWhatWasExpected() throws {
        let file = scratch + "/bad.tsv"
        try "What is ITRI?\tsomething:else\n".write(toFile: file, atomically: true, encoding: .utf8)
        var r = try eval(["--kb", "sample", file])
        XCTAssertEqual(r.status, 2, r.output)
        XCTAssertTrue(r.output.contains("\(file):1: expected passage must be `id:…`, `title:…`, `re:…` or `-`, found 'something:else'"), r.output)

        try "What is ITRI?\n".write(toFile: file, atomically: true, encoding: .utf8)
        r = try eval(["--kb", "sample", file])
        XCTAssertEqual(r.status, 2, r.output)
        XCTAssertTrue(r.output.contains("\(file):1: expected QUESTION<tab>EXPECTED PASSAGE"), r.output)

        try "What is ITRI?\tre:(unclosed\n".write(toFile: file, atomically: true, encoding: .utf8)
        r = try eval(["--kb", "sample", file])
        XCTAssertEqual(r.status, 2, r.output)
        XCTAssertTrue(r.output.contains("expected passage is not a valid regular expression: '(unclosed'"), r.output)

        r = try eval(["--kb", scratch + "/missing.db", sampleSet])
        XCTAssertEqual(r.status, 2, r.output)
        XCTAssertTrue(r.output.contains("missing.db: no such knowledge-base store"), r.output)
        XCTAssertFalse(FileManager.default.fileExists(atPath: scratch + "/missing.db"), "eval must not create the store")

        r = try eval(["--kb", "sample", scratch + "/none.tsv"])
        XCTAssertEqual(r.status, 2, r.output)
        XCTAssertTrue(r.output.contains("none.tsv: cannot read the file"), r.output)
    }

    func testAnIngestedStoreIsEvaluatedById() throws {
        let db = scratch + "/kb.db"
        try #"[{"title": "Lobby robot", "content": "The lobby robot Pepper greets visitors at the entrance of Building 51 every morning."}]"#
            .write(toFile: scratch + "/robots.json", atomically: true, encoding: .utf8)
        let ingest = try TestPlugins.run(tonehost, ["ingest", "--db", db, scratch + "/robots.json"])
        XCTAssertEqual(ingest.status, 0, ingest.output)
        // The passage id is "<document key>-<ordinal>"; the title and a regex find it as well.
        let file = scratch + "/set.tsv"
        try "Who greets visitors at Building 51?\tre:Pepper || title:Lobby robot\tPepper\n"
            .write(toFile: file, atomically: true, encoding: .utf8)
        let r = try eval(["--kb", db, "--answer", "--min-recall", "1", "--min-answers", "1", file])
        XCTAssertEqual(r.status, 0, r.output)
        XCTAssertTrue(r.output.contains("recall@6 1.000 (1/1)  MRR 1.000  answers 1.000 (1/1)"), r.output)
        XCTAssertTrue(r.output.contains("misses: none"), r.output)
    }
}
