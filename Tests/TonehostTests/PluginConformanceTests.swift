import Foundation
import XCTest

/// `tonehost plugins test`: the bundled plugins and the well-behaved test plugins pass; the
/// deliberately broken one is told what it violated.
final class PluginConformanceTests: XCTestCase {
    var tonehost: String { TestPlugins.productsDir + "/tonehost" }
    let defaults = TestPlugins.repoRoot.appendingPathComponent("plugin-manifests").path

    func test(_ arguments: [String], environment extra: [String: String] = [:]) throws -> (status: Int32, output: String) {
        var env = ProcessInfo.processInfo.environment.merging(extra) { $1 }
        env["TONEHOST_PLUGIN_PATH"] = TestPlugins.productsDir
        env["TONEHOST_DB"] = NSTemporaryDirectory() + "tonehost-conf-\(UUID().uuidString.prefix(8)).db"
        let r = try TestPlugins.run(tonehost, ["plugins", "test"] + arguments, environment: env)
        return (r.status, r.output)
    }

    func testEveryBundledPluginPasses() throws {
        for file in try FileManager.default.contentsOfDirectory(atPath: defaults).sorted() where file.hasSuffix(".toml") {
            let r = try test(["--manifest", "\(defaults)/\(file)"])
            XCTAssertEqual(r.status, 0, "\(file):\n\(r.output)")
            XCTAssertTrue(r.output.contains(" 0 failed"), r.output)
        }
    }

    /// The random describer's pool holds an empty description (nobody seen) on purpose; a run
    /// whose first picks are that one must still pass (CI once failed this way, 1 run in 44).
    func testADescriberThatFirstSeesNobodyPasses() throws {
        // Seed 644 picks the built-in pool's empty description twice before any other.
        let r = try test(["--manifest", "\(defaults)/describer-random.toml"], environment: ["TONEHOST_DESCRIBER_SEED": "644"])
        XCTAssertEqual(r.status, 0, r.output)
        XCTAssertTrue(r.output.contains("PASS answers a plain request — "), r.output)
        // The edge case was really exercised (if the pool changes, pick a seed that hits "" first).
        XCTAssertTrue(r.output.contains("(after 2 empty descriptions, which a describer may give)"), r.output)
    }

    func testWellBehavedTestPluginsPass() throws {
        let teen = try TestPlugins.library("teen_tone")
        let r = try test([teen])
        XCTAssertEqual(r.status, 0, r.output)
        XCTAssertTrue(r.output.contains("PASS concurrent calls give the answers sequential calls give"), r.output)
        // A plain C library through its [simple] manifest.
        let plain = try TestPlugins.library("plain_teen")
        let manifest = NSTemporaryDirectory() + "plain-\(UUID().uuidString.prefix(6)).toml"
        try "name = \"plain\"\nkind = \"tone\"\ntone_category = \"teen_friendly\"\nlibrary = \"\(plain)\"\n[simple]\nsignature = \"char *plain_teen(const char *text, const char *language, const char *user_description, int is_final)\"\nfree = \"plain_teen_free\"\n"
            .write(toFile: manifest, atomically: true, encoding: .utf8)
        let s = try test(["--manifest", manifest])
        XCTAssertEqual(s.status, 0, s.output)
    }

    func testABrokenPluginIsToldWhatItViolated() throws {
        let broken = try TestPlugins.library("broken_tone")
        let r = try test([broken])
        XCTAssertEqual(r.status, 1, r.output)
        for violation in ["FAIL keeps UTF-8 whole", "FAIL stops at its deadline", "FAIL stops emitting once emit returns non-zero",
                          "FAIL failures carry a message"] {
            XCTAssertTrue(r.output.contains(violation), "expected \(violation):\n\(r.output)")
        }
        XCTAssertTrue(r.output.contains("plugins test: 4 passed, 4 failed"), r.output)
        // A library that is no plugin at all.
        let none = try test(["/usr/lib/x86_64-linux-gnu/libffi.so.8"])
        XCTAssertEqual(none.status, 1)
        XCTAssertTrue(none.output.contains("needs --manifest with a [simple] table"), none.output)
    }
}
