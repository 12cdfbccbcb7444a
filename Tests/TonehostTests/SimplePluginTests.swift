import Foundation
import XCTest

/// Plugins that are plain shared objects with no tonehost header: a manifest's `[simple]` table
/// names the C function and its prototype, the host calls it through libffi. Built here with
/// plain `cc -shared -fPIC` (and `rustc --crate-type cdylib` when Rust is on the machine).
final class SimplePluginTests: XCTestCase {
    let defaults = TestPlugins.repoRoot.appendingPathComponent("plugin-manifests").path
    var tonehost: String { TestPlugins.productsDir + "/tonehost" }

    /// The default manifests (minus `without`) plus `extra` (file name → text).
    func manifestDirectory(without: Set<String> = [], _ extra: [String: String]) throws -> String {
        let dir = TestPlugins.makeDirectory()
        for file in try FileManager.default.contentsOfDirectory(atPath: defaults) where file.hasSuffix(".toml") && !without.contains(file) {
            try FileManager.default.copyItem(atPath: "\(defaults)/\(file)", toPath: "\(dir)/\(file)")
        }
        for (name, text) in extra { try text.write(toFile: "\(dir)/\(name)", atomically: true, encoding: .utf8) }
        return dir
    }

    func teenManifest(_ library: String, cues: Bool = true) -> String {
        """
        name = "tone-teen"
        kind = "tone"
        tone_category = "teen_friendly"
        library = "\(library)"

        [simple]
        signature = "char *plain_teen(const char *text, const char *language, const char *user_description, int is_final)"
        free = "plain_teen_free"
        init = "plain_teen_init"

        \(cues ? "[cues]\nen = [\"teenager\", \"teen\", \"skateboard\", \"high school student\"]\nzh = [\"青少年\", \"高中生\", \"滑板\"]\n" : "")
        [config]
        opener = "Hey hey!"
        """
    }

    func serve(_ dir: String) throws -> ServerProcess {
        try ServerProcess(["serve", "--manifests", dir, "--db", NSTemporaryDirectory() + "tonehost-simple-\(UUID().uuidString.prefix(8)).db"])
    }

    func ask(_ s: ServerProcess, _ description: String, question: String = "What is ITRI?") throws -> HTTP.Response {
        try HTTP.post(s.url + "/api/rag-llm/query-with-tone", json: ["text_user_msg": question, "user_description": description,
                                                                     "session_id": UUID().uuidString])
    }

    func testPlainCToneServesAndTheDefaultSelectorChoosesItByItsCues() throws {
        let lib = try TestPlugins.library("plain_teen")
        let dir = try manifestDirectory(["tone-teen.toml": teenManifest(lib)])
        let check = try TestPlugins.run(tonehost, ["plugins", "check", "--manifests", dir, "--db", NSTemporaryDirectory() + "simple-check.db"])
        XCTAssertEqual(check.status, 0, check.output)
        XCTAssertTrue(check.output.contains("tone=teen_friendly  status=active  plugin=tonehost.simple-symbol"), check.output)
        let s = try serve(dir)
        defer { s.stop() }
        for description in ["a teenager with a skateboard", "A high school student with headphones", "一位拿著滑板的高中生"] {
            let r = try ask(s, description)
            XCTAssertEqual(r.headers["x-tone"], "teen_friendly", "\(description): \(r.text)")
            XCTAssertTrue(r.text.hasPrefix("Hey hey! "), "the [config] reached init: \(r.text)")
            XCTAssertTrue(r.text.contains("ITRI"), r.text)
            XCTAssertTrue(r.text.hasSuffix("\nEND_FLAG\n"))
        }
        XCTAssertTrue(try ask(s, "a teenager with a skateboard").text.contains("No cap, that's lit."), "is_final reached the function")
        // The built-in tones keep their visitors.
        for (description, tone) in [("a little girl with a balloon", "child_friendly"), ("an old man with a walking stick", "elder_friendly"),
                                    ("a woman in a business suit", "professional_friendly"), ("a man in a hoodie", "casual_friendly"),
                                    ("一位穿著制服的小學生", "child_friendly")] {
            XCTAssertEqual(try ask(s, description).headers["x-tone"], tone, description)
        }
        // convert-tone reaches it by name; Traditional Chinese passes through intact.
        let zh = try HTTP.post(s.url + "/api/rag-llm/convert-tone", json: ["text": "工研院成立於1973年。", "tone": "teen_friendly"])
        XCTAssertEqual(zh.text, "Hey hey! 工研院成立於1973年。 超酷的吧！\nEND_FLAG\n")
    }

    func testAReloadPicksUpANewTonesCues() throws {
        let lib = try TestPlugins.library("plain_teen")
        let dir = try manifestDirectory([:])
        let s = try serve(dir)
        defer { s.stop() }
        let end = Date().addingTimeInterval(20)
        while try HTTP.get(s.url + "/readyz").status != 200, Date() < end { Thread.sleep(forTimeInterval: 0.1) }
        XCTAssertEqual(try ask(s, "a teenager with a skateboard").headers["x-tone"], "child_friendly")
        try teenManifest(lib).write(toFile: dir + "/tone-teen.toml", atomically: true, encoding: .utf8)
        let reload = try HTTP.send(s.url + "/admin/reload", method: "POST", body: nil, timeout: 30)
        XCTAssertEqual(reload.status, 200, reload.text)
        XCTAssertEqual(try ask(s, "a teenager with a skateboard").headers["x-tone"], "teen_friendly")
        XCTAssertEqual(try ask(s, "a little girl").headers["x-tone"], "child_friendly")
    }

    func testSimpleSelectorDescriberAndRetriever() throws {
        let lib = try TestPlugins.library("plain_teen")
        let dir = try manifestDirectory(without: ["describer-random.toml", "tone-selector-rules.toml", "retriever-sqlite.toml"], [
            "tone-teen.toml": teenManifest(lib, cues: false),
            "describer.toml": "name = \"plain-describer\"\nkind = \"describer\"\nlibrary = \"\(lib)\"\n[simple]\nsignature = \"char *plain_describe(const char *session_id)\"\n",
            "selector.toml": "name = \"plain-selector\"\nkind = \"tone_selector\"\nlibrary = \"\(lib)\"\n[simple]\nsignature = \"char *plain_select(const char *user_description, const char *categories)\"\n",
            "retriever.toml": "name = \"plain-retriever\"\nkind = \"retriever\"\nlibrary = \"\(lib)\"\n[simple]\nsignature = \"char *plain_retrieve(const char *query, int top_k)\"\nfree = \"free\"\n",
        ])
        let s = try serve(dir)
        defer { s.stop() }
        let r = try HTTP.post(s.url + "/api/rag-llm/query-with-tone", json: ["text_user_msg": "When was ITRI founded?", "session_id": "kiosk-7"])
        XCTAssertEqual(r.headers["x-tone"], "teen_friendly", "describer → selector chose the tone: \(r.text)")
        XCTAssertTrue(r.text.contains("1973"), "the answer comes from the plain retriever's passage: \(r.text)")
        XCTAssertTrue(r.text.hasPrefix("Hey hey! "), r.text)
        let describe = try HTTP.post(s.url + "/api/rag-llm/query-with-tone", json: ["text_user_msg": "When was ITRI founded?", "user_description": "an old man"])
        XCTAssertEqual(describe.headers["x-tone"], "casual_friendly", "the plain selector's answer is used as it is")
    }

    func testBorrowedAndNullResults() throws {
        let lib = try TestPlugins.library("plain_teen")
        let dir = try manifestDirectory([
            "tone-shout.toml": "name = \"shout\"\nkind = \"tone\"\ntone_category = \"shout_friendly\"\nlibrary = \"\(lib)\"\n[simple]\nsignature = \"char *plain_shout(const char *text)\"\nstreaming = true\n",
            "tone-null.toml": "name = \"null\"\nkind = \"tone\"\ntone_category = \"null_friendly\"\nlibrary = \"\(lib)\"\n[simple]\nsignature = \"char *plain_null(const char *text)\"\n",
        ])
        let s = try serve(dir)
        defer { s.stop() }
        let shout = try HTTP.post(s.url + "/api/rag-llm/convert-tone", json: ["text": "First. Second.", "tone": "shout_friendly"])
        XCTAssertTrue(shout.text.contains("First.!!!") && shout.text.contains("Second.!!!"), "called per sentence, borrowed result copied: \(shout.text)")
        let null = try HTTP.post(s.url + "/api/rag-llm/convert-tone", json: ["text": "Keep me.", "tone": "null_friendly"])
        XCTAssertEqual(null.text, "Keep me.\nEND_FLAG\n", "a NULL result sends the text unconverted")
        XCTAssertTrue(s.log.contains("plain_null returned NULL"), s.log)
        XCTAssertEqual(try HTTP.get(s.url + "/health").status, 200)
    }

    func testManifestMistakesNameTheFileAndTheSymbol() throws {
        let lib = try TestPlugins.library("plain_teen")
        func check(_ simple: String, kind: String = "tone", config: String = "") throws -> String {
            let extra = kind == "tone" ? "tone_category = \"teen_friendly\"\n" : ""
            let dir = try manifestDirectory(["zz-plain.toml": "name = \"plain\"\nkind = \"\(kind)\"\n\(extra)library = \"\(lib)\"\n[simple]\n\(simple)\n\(config)"])
            let r = try TestPlugins.run(tonehost, ["plugins", "check", "--manifests", dir, "--db", NSTemporaryDirectory() + "simple-check.db"])
            XCTAssertEqual(r.status, 1, r.output)
            return r.output.split(separator: "\n").first { $0.contains("zz-plain.toml") }.map(String.init) ?? r.output
        }
        let cases: [(String, String, String)] = [
            (#"signature = "char *nope(const char *text)""#, "tone", "does not export 'nope'"),
            (#"signature = "char *plain_teen(float text)""#, "tone", "unknown type \"float\""),
            (#"signature = "char *plain_teen(const char *colour)""#, "tone", "'colour' of plain_teen is not something the host passes"),
            (#"signature = "char *plain_teen(int text)""#, "tone", "'text' of plain_teen must be const char *"),
            (#"signature = "int plain_teen(const char *text)""#, "tone", "plain_teen must return a string (char *), found \"int\""),
            (#"signature = "char *plain_teen(const char *text""#, "tone", "expected a C declaration"),
            ("signature = \"char *plain_teen(const char *text)\"\nfree = \"gone_free\"", "tone", "does not export 'gone_free'"),
            (#"signature = "char *plain_teen(const char *text)""#, "llm", "kind \"llm\" cannot be a simple plugin"),
            (#"signatur = "char *plain_teen(const char *text)""#, "tone", "unknown key 'signatur'"),
        ]
        for (simple, kind, expected) in cases {
            let line = try check(simple, kind: kind)
            XCTAssertTrue(line.contains(expected), "expected \(expected) in: \(line)")
            XCTAssertTrue(line.contains("status=FAILED"), line)
        }
        let refused = try check("signature = \"char *plain_teen(const char *text)\"\ninit = \"plain_teen_init\"",
                                config: "[config]\nopener = \"\(String(repeating: "x", count: 80))\"")
        XCTAssertTrue(refused.contains("plain_teen_init(config) returned 3"), refused)
    }

    func testARustCdylibServesAsATone() throws {
        guard let rustc = ["/usr/bin/rustc", "/usr/local/bin/rustc", NSHomeDirectory() + "/.cargo/bin/rustc"]
            .first(where: { FileManager.default.isExecutableFile(atPath: $0) }) else {
            throw XCTSkip("no rustc on this machine")
        }
        let out = TestPlugins.buildDir + "/librust_teen.so"
        let built = try TestPlugins.run(rustc, ["--crate-type", "cdylib", "-O", "-o", out, TestPlugins.sourceDir + "/plain_teen.rs"])
        XCTAssertEqual(built.status, 0, built.output)
        let dir = try manifestDirectory(["tone-rust.toml": """
            name = "tone-rust"
            kind = "tone"
            tone_category = "rust_friendly"
            library = "\(out)"
            [simple]
            signature = "char *rust_teen(const char *text, int is_final)"
            free = "rust_teen_free"
            """])
        let s = try serve(dir)
        defer { s.stop() }
        let r = try HTTP.post(s.url + "/api/rag-llm/convert-tone", json: ["text": "工研院在新竹。", "tone": "rust_friendly"])
        XCTAssertEqual(r.text, "Rusty yo! 工研院在新竹。 Totally.\nEND_FLAG\n")
    }
}
