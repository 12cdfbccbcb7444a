import Foundation
import XCTest

/// What a plugin author who reads only the README and the header does: generate a plugin with
/// `tonehost plugins new`, build it with its script, drop its manifest in, and get answers.
final class PluginSDKTests: XCTestCase {
    var tonehost: String { TestPlugins.productsDir + "/tonehost" }
    let repo = TestPlugins.repoRoot.path

    func tempDir() -> String {
        let dir = NSTemporaryDirectory() + "tonehost-sdk-\(UUID().uuidString.prefix(8))"
        try! FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        return dir
    }

    /// Runs a shell script in `dir` with the built `tonehost` first on PATH.
    func shell(_ script: String, in dir: String, environment extra: [String: String] = [:]) throws -> (status: Int32, output: String) {
        var env = ProcessInfo.processInfo.environment
        env["PATH"] = TestPlugins.productsDir + ":" + (env["PATH"] ?? "/usr/bin:/bin")
        env["TONEHOST_PLUGIN_PATH"] = TestPlugins.productsDir
        for (k, v) in extra { env[k] = v }
        let r = try TestPlugins.run("/bin/bash", ["-euo", "pipefail", "-c", script], environment: env, currentDirectory: dir)
        return (r.status, r.output)
    }

    /// A manifest folder: the defaults plus the generated plugin's manifest and library.
    func manifests(with pluginDir: String, manifest: String, library: String) throws -> String {
        let dir = tempDir() + "/manifests"
        let defaults = repo + "/plugin-manifests"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        for file in try FileManager.default.contentsOfDirectory(atPath: defaults) where file.hasSuffix(".toml") {
            try FileManager.default.copyItem(atPath: "\(defaults)/\(file)", toPath: "\(dir)/\(file)")
        }
        try FileManager.default.copyItem(atPath: "\(pluginDir)/\(manifest)", toPath: "\(dir)/\(manifest)")
        try FileManager.default.copyItem(atPath: "\(pluginDir)/\(library)", toPath: "\(dir)/\(library)")
        return dir
    }

    func ask(_ manifests: String, _ description: String, _ question: String) throws -> String {
        let r = try TestPlugins.run(tonehost, ["ask", "--manifests", manifests, "--db", tempDir() + "/t.db", "--description", description, question])
        XCTAssertEqual(r.status, 0, r.output)
        return String(r.output.dropLast(r.error.count))
    }

    func testGeneratedCPluginAgainstTheInstalledHeaderLoadsAndIsChosen() throws {
        let work = tempDir()
        // The SDK install step, then the generated plugin built with pkg-config.
        let r = try shell("""
            \(repo)/scripts/install-sdk.sh --prefix "$PWD/sdk"
            export PKG_CONFIG_PATH="$PWD/sdk/lib/pkgconfig"
            tonehost plugins new tone teen_friendly --lang c teen
            ./teen/build.sh
            """, in: work)
        XCTAssertEqual(r.status, 0, r.output)
        let dir = try manifests(with: work + "/teen", manifest: "tone-teen-friendly.toml", library: "libteen_friendly.so")
        let answer = try ask(dir, "a teen with a skateboard", "What is ITRI?")
        XCTAssertTrue(answer.hasPrefix("Hey! "), answer)
        XCTAssertTrue(answer.contains("Pretty cool, right?"), answer)
        let zh = try ask(dir, "a teen", "工研院在哪裡？")
        XCTAssertTrue(zh.contains("酷吧！") && zh.contains("新竹"), zh)
        XCTAssertFalse(try ask(dir, "an old man with a cane", "What is ITRI?").hasPrefix("Hey! "), "elder visitors keep their tone")
    }

    func testGeneratedSimplePluginNeedsNoHeader() throws {
        let work = tempDir()
        let r = try shell("tonehost plugins new tone teen_friendly --lang c --simple teen && ./teen/build.sh && ! grep -q tonehost_plugin.h teen/teen_friendly.c", in: work)
        XCTAssertEqual(r.status, 0, r.output)
        let dir = try manifests(with: work + "/teen", manifest: "tone-teen-friendly.toml", library: "libteen_friendly.so")
        let answer = try ask(dir, "a teen with a skateboard", "What is ITRI?")
        XCTAssertTrue(answer.hasPrefix("Hey! ") && answer.hasSuffix("Pretty cool, right?\n"), answer)
    }

    func testPluginsNewRefusesWhatItCannotDo() throws {
        let work = tempDir()
        for (args, expected) in [(["llm", "x"], "only tone plugins"), (["tone", "Teen Friendly"], "lower-case letters"),
                                 (["tone", "teen_friendly", "--lang", "rust"], "--lang must be c or swift")] {
            let r = try TestPlugins.run(tonehost, ["plugins", "new"] + args.prefix(2) + [work + "/out"] + args.dropFirst(2),
                                        environment: ["PATH": "/usr/bin:/bin"])
            XCTAssertNotEqual(r.status, 0)
            XCTAssertTrue(r.output.contains(expected), r.output)
        }
        try "x".write(toFile: work + "/busy", atomically: true, encoding: .utf8)
        let busy = try TestPlugins.run(tonehost, ["plugins", "new", "tone", "teen_friendly", work])
        XCTAssertEqual(busy.status, 2)
        XCTAssertTrue(busy.output.contains("not empty"), busy.output)
    }

    /// sdk/swift-tone-template is what the generator writes (one source of truth; CI builds it as
    /// an external package and loads it, see scripts/test.sh).
    func testSwiftTemplateInTheRepoIsTheGeneratorsOutput() throws {
        let out = tempDir() + "/t"
        let r = try TestPlugins.run(tonehost, ["plugins", "new", "tone", "teen_friendly", "--lang", "swift", "--sdk", "../..", out])
        XCTAssertEqual(r.status, 0, r.output)
        let template = repo + "/sdk/swift-tone-template"
        for file in ["Package.swift", "Sources/TeenFriendlyTone/TeenFriendlyTone.swift", "build.sh", "tone-teen-friendly.toml", ".gitignore"] {
            let generated = try String(contentsOfFile: out + "/" + file, encoding: .utf8)
            let committed = try String(contentsOfFile: template + "/" + file, encoding: .utf8)
            XCTAssertEqual(generated, committed, "\(file) differs: regenerate with `tonehost plugins new tone teen_friendly --lang swift --sdk ../.. sdk/swift-tone-template`")
        }
    }

    /// The "Writing a plugin" quick start in README.md, run as written.
    func testTheReadmeQuickStartRuns() throws {
        let readme = try String(contentsOfFile: repo + "/README.md", encoding: .utf8)
        let marker = "<!-- tested: plugin-quickstart -->"
        let after = try XCTUnwrap(readme.components(separatedBy: marker).dropFirst().first, "README lacks \(marker)")
        let block = try XCTUnwrap(after.components(separatedBy: "```sh\n").dropFirst().first?.components(separatedBy: "```").first)
        let work = tempDir()
        try FileManager.default.createSymbolicLink(atPath: work + "/plugin-manifests", withDestinationPath: repo + "/plugin-manifests")
        let r = try shell(block, in: work, environment: ["TONEHOST_DB": work + "/t.db"])
        XCTAssertEqual(r.status, 0, r.output)
        XCTAssertTrue(r.output.contains("check: ok"), r.output)
        XCTAssertTrue(r.output.contains("Pretty cool, right?"), r.output)
    }
}
