import Foundation
import XCTest

/// The `tonehost` executable with the bundled plugins and the repo's plugin-manifests/.
final class CLITests: XCTestCase {
    var tonehost: String { TestPlugins.productsDir + "/tonehost" }
    var manifests: String { TestPlugins.repoRoot.appendingPathComponent("plugin-manifests").path }
    var db: String = ""

    override func setUpWithError() throws {
        guard FileManager.default.isExecutableFile(atPath: tonehost) else {
            XCTFail("\(tonehost) is missing: run `swift build` before `swift test` (.ci/run does)")
            throw XCTSkip("no tonehost binary")
        }
        db = NSTemporaryDirectory() + "tonehost-cli-\(UUID().uuidString.prefix(8)).db"
    }

    override func tearDown() {
        for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: db + suffix) }
    }

    func ask(_ question: String, _ extra: [String] = []) throws -> (status: Int32, answer: String, stderr: String) {
        let r = try TestPlugins.run(tonehost, ["ask", "--manifests", manifests, "--db", db] + extra + [question])
        let answer = String(r.output.dropLast(r.error.count))
        return (r.status, answer, r.error)
    }

    func testPluginsCheckPassesOnTheDefaultManifests() throws {
        let r = try TestPlugins.run(tonehost, ["plugins", "check", "--manifests", manifests, "--db", db])
        XCTAssertEqual(r.status, 0, r.output)
        for kind in ["describer", "tone_selector", "tone", "llm", "retriever"] {
            XCTAssertTrue(r.output.contains("kind=\(kind)"), r.output)
        }
        for tone in ["child_friendly", "elder_friendly", "professional_friendly", "casual_friendly"] {
            XCTAssertTrue(r.output.contains("tone=\(tone)  status=active"), r.output)
        }
        XCTAssertTrue(r.output.contains("check: ok"))
    }

    func testPluginsCheckFailsAndNamesTheBrokenManifest() throws {
        let dir = TestPlugins.makeDirectory()
        for file in try FileManager.default.contentsOfDirectory(atPath: manifests) where file.hasSuffix(".toml") {
            try FileManager.default.copyItem(atPath: "\(manifests)/\(file)", toPath: "\(dir)/\(file)")
        }
        try "name = \"x\"\nkind = \"tone\"\nlibrary = \"libnope.so\"\nabi_version = 1\n".write(toFile: "\(dir)/zz-broken.toml", atomically: true, encoding: .utf8)
        let r = try TestPlugins.run(tonehost, ["plugins", "check", "--manifests", dir, "--db", db])
        XCTAssertEqual(r.status, 1)
        XCTAssertTrue(r.output.contains("zz-broken.toml  name=x  kind=tone  status=FAILED  reason=library libnope.so not found"), r.output)
        // list reports the same but exits 0
        let list = try TestPlugins.run(tonehost, ["plugins", "list", "--manifests", dir, "--db", db])
        XCTAssertEqual(list.status, 0)
        XCTAssertTrue(list.output.contains("status=FAILED"))
    }

    func testAskAnswersInEnglishAndChinese() throws {
        let en = try ask("What is ITRI?")
        XCTAssertEqual(en.status, 0, en.stderr)
        XCTAssertTrue(en.answer.contains("ITRI") || en.answer.contains("Industrial Technology Research Institute"), en.answer)
        XCTAssertTrue(en.stderr.contains("tone: "), en.stderr)

        let zh = try ask("工研院是什麼？")
        XCTAssertEqual(zh.status, 0, zh.stderr)
        XCTAssertTrue(zh.answer.contains("工研院") || zh.answer.contains("工業技術研究院"), zh.answer)
    }

    func testAskPicksTheToneFromTheDescription() throws {
        let elder = try ask("What is ITRI?", ["--description", "an elderly man with a walking stick"])
        XCTAssertTrue(elder.stderr.contains("tone: elder_friendly"), elder.stderr)
        let child = try ask("工研院是什麼？", ["--description", "一位穿著制服的小學生"])
        XCTAssertTrue(child.stderr.contains("tone: child_friendly"), child.stderr)
        XCTAssertTrue(["喔", "呢", "啊"].contains { child.answer.contains($0) }, child.answer)
        let plain = try ask("What is ITRI?", ["--no-tone"])
        XCTAssertFalse(plain.stderr.contains("tone: "), plain.stderr)
    }

    func testAskSaysPlainlyWhenNothingIsKnown() throws {
        let en = try ask("What is the capital of Peru?", ["--no-tone"])
        XCTAssertTrue(en.answer.contains("I don't have information about that."), en.answer)
        let zh = try ask("秘魯的首都是哪裡？", ["--no-tone"])
        XCTAssertTrue(zh.answer.contains("目前資料庫中沒有相關資料。"), zh.answer)
    }
}

extension CLITests {
    func testAskAnswersTheIssueQuestions() throws {
        let cases: [(String, [String])] = [
            ("What kind of research does ITRI do?", ["research"]),
            ("工研院的技術發展如何？", ["技術"]),
            ("Tell me about ITRI's history", ["1973"]),
        ]
        for (question, expected) in cases {
            let r = try ask(question)
            XCTAssertEqual(r.status, 0, r.stderr)
            for word in expected { XCTAssertTrue(r.answer.contains(word), "\(question) → \(r.answer)") }
            XCTAssertFalse(r.answer.contains("I don't have information") || r.answer.contains("目前資料庫中沒有相關資料"), r.answer)
        }
    }

    func testIngestIsIdempotentAndReportsASummary() throws {
        let folder = NSTemporaryDirectory() + "tonehost-ingest-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        try #"[{"title": "Lobby robot", "content": "The lobby robot Pepper greets visitors at the entrance of Building 51 every morning."}]"#
            .write(toFile: "\(folder)/robots.json", atomically: true, encoding: .utf8)
        try "# 咖啡廳\n\n展示館一樓的咖啡廳提供手沖咖啡與台灣茶，營業到下午五點。\n".write(toFile: "\(folder)/cafe.md", atomically: true, encoding: .utf8)
        try "{not json".write(toFile: "\(folder)/broken.json", atomically: true, encoding: .utf8)
        var r = try TestPlugins.run(tonehost, ["ingest", "--db", db, folder])
        XCTAssertEqual(r.status, 1, "a skipped file makes the exit status 1: \(r.output)")
        XCTAssertTrue(r.output.contains("broken.json"), r.output)
        XCTAssertTrue(r.output.contains("ingested 2 files"), r.output)
        r = try TestPlugins.run(tonehost, ["ingest", "--db", db, "\(folder)/robots.json", "\(folder)/cafe.md"])
        XCTAssertEqual(r.status, 0, r.output)
        XCTAssertTrue(r.output.contains("ingested 0 files (2 unchanged"), r.output)
        let robot = try ask("Who greets visitors at Building 51?", ["--no-tone"])
        XCTAssertTrue(robot.answer.contains("Pepper"), robot.answer)
        let cafe = try ask("咖啡廳營業到幾點？", ["--no-tone"])
        XCTAssertTrue(cafe.answer.contains("下午五點"), cafe.answer)
    }
}
