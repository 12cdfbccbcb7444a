import Foundation
import TonehostCore
import XCTest

/// Manifests and real .so files through the loader; one test per loading failure, each
/// asserting the message names the file and the reason.
final class PluginLoaderTests: XCTestCase {
    func testLoadsRealLibrariesThroughManifests() throws {
        let dir = try TestPlugins.standardSet()
        let report = TestPlugins.load(dir)
        XCTAssertTrue(report.fatal.isEmpty, "\(report.fatal)")
        XCTAssertFalse(report.hasFailures, "\(report.entries.map { ($0.file, $0.state) })")
        let generation = try PluginGeneration(report: report)
        XCTAssertEqual(generation.describer?.pluginID, "test.describer")
        XCTAssertEqual(generation.llm.pluginID, "test.llm")
        XCTAssertEqual(generation.retriever.pluginID, "test.retriever")
        XCTAssertEqual(generation.toneCategories, ["casual_friendly", "elder_friendly", "teen_friendly"])
        XCTAssertTrue(generation.tones["teen_friendly"]!.streamsTone)
    }

    /// Loads `dir` with one extra broken manifest and returns that manifest's failure reason;
    /// the rest of the set must still load (the broken optional plugin is skipped).
    private func brokenManifestReason(_ text: String, file: String = "broken.toml") throws -> (String, PluginLoadError) {
        let dir = try TestPlugins.standardSet()
        let path = "\(dir)/\(file)"
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        let report = TestPlugins.load(dir)
        let entry = try XCTUnwrap(report.entries.first { $0.file == path })
        guard case .failed(let error) = entry.state else {
            XCTFail("\(file) loaded but should have failed")
            throw XCTSkip()
        }
        XCTAssertEqual(error.file, path)
        XCTAssertTrue(error.description.hasPrefix(path), error.description)
        // The host keeps running: the rest of the generation is intact.
        let generation = try PluginGeneration(report: report)
        XCTAssertEqual(generation.llm.pluginID, "test.llm")
        XCTAssertTrue(report.hasFailures)
        return (error.reason, error)
    }

    func testMissingLibrary() throws {
        let (reason, _) = try brokenManifestReason("""
            name = "ghost"
            kind = "tone"
            library = "libdoes-not-exist.so"
            abi_version = 1
            """)
        XCTAssertTrue(reason.contains("libdoes-not-exist.so") && reason.contains("not found"), reason)
        XCTAssertTrue(reason.contains("searched"), reason)
    }

    func testBadTOML() throws {
        let (reason, _) = try brokenManifestReason("name = \"oops\nkind = tone\n")
        XCTAssertTrue(reason.contains("bad TOML") && reason.contains("line"), reason)
    }

    func testUnknownKind() throws {
        let (reason, _) = try brokenManifestReason("""
            name = "x"
            kind = "translator"
            library = "\(try TestPlugins.library("teen_tone"))"
            abi_version = 1
            """)
        XCTAssertTrue(reason.contains("unknown kind 'translator'") && reason.contains("tone_selector"), reason)
    }

    func testLibraryBuiltForAnotherABI() throws {
        let (reason, _) = try brokenManifestReason("""
            name = "future"
            kind = "tone"
            library = "\(try TestPlugins.library("abi_v2"))"
            abi_version = 1
            """)
        XCTAssertTrue(reason.contains("built for ABI 2") && reason.contains("host speaks ABI 1"), reason)
    }

    func testManifestDeclaresAnotherABI() throws {
        let (reason, _) = try brokenManifestReason("""
            name = "future"
            kind = "tone"
            library = "\(try TestPlugins.library("teen_tone"))"
            abi_version = 3
            """)
        XCTAssertTrue(reason.contains("manifest declares ABI 3") && reason.contains("host speaks ABI 1"), reason)
    }

    func testMissingEntrySymbol() throws {
        let (reason, _) = try brokenManifestReason("""
            name = "no-entry"
            kind = "tone"
            library = "\(try TestPlugins.library("no_entry"))"
            abi_version = 1
            """)
        XCTAssertTrue(reason.contains("no entry symbol 'tonehost_plugin_entry'"), reason)
    }

    func testNotAPluginAtAll() throws {
        // A shared object without the ABI version symbol (libm is one).
        let (reason, _) = try brokenManifestReason("""
            name = "libm"
            kind = "tone"
            library = "/lib/x86_64-linux-gnu/libm.so.6"
            abi_version = 1
            """)
        XCTAssertTrue(reason.contains("does not export 'tonehost_plugin_abi_version'"), reason)
    }

    func testSHA256Mismatch() throws {
        let (reason, _) = try brokenManifestReason("""
            name = "pinned"
            kind = "tone"
            library = "\(try TestPlugins.library("teen_tone"))"
            abi_version = 1
            tone_category = "pinned_friendly"
            sha256 = "\(String(repeating: "ab", count: 32))"
            """)
        XCTAssertTrue(reason.contains("sha256 mismatch") && reason.contains(String(repeating: "ab", count: 32)), reason)
    }

    func testSHA256PinThatMatchesLoads() throws {
        let dir = try TestPlugins.standardSet()
        let lib = try TestPlugins.library("teen_tone")
        let sum = try TestPlugins.run("/usr/bin/env", ["sha256sum", lib]).output.split(separator: " ")[0]
        try TestPlugins.write(.init(file: "pinned.toml", name: "pinned", kind: "tone", library: lib,
                                    extra: "tone_category = \"pinned_friendly\"\nsha256 = \"\(sum)\""), to: dir)
        let generation = try TestPlugins.generation(dir)
        XCTAssertNotNil(generation.tones["pinned_friendly"])
    }

    func testKindMismatchBetweenManifestAndLibrary() throws {
        let (reason, _) = try brokenManifestReason("""
            name = "liar"
            kind = "describer"
            library = "\(try TestPlugins.library("teen_tone"))"
            abi_version = 1
            """)
        XCTAssertTrue(reason.contains("manifest says kind \"describer\"") && reason.contains("\"tone\" plugin"), reason)
    }

    func testCreateRefusalIsReported() throws {
        let (reason, _) = try brokenManifestReason("""
            name = "refuser"
            kind = "describer"
            library = "\(try TestPlugins.library("test_describer"))"
            abi_version = 1
            priority = 5
            [config]
            mode = "refuse"
            """)
        XCTAssertTrue(reason.contains("refused its config") && reason.contains("mode 'refuse'"), reason)
    }

    func testMissingRequiredRoleStopsStartup() throws {
        let dir = try TestPlugins.standardSet()
        try FileManager.default.removeItem(atPath: "\(dir)/llm.toml")
        let report = TestPlugins.load(dir)
        XCTAssertThrowsError(try PluginGeneration(report: report)) { error in
            let text = "\(error)"
            XCTAssertTrue(text.contains("no llm plugin loaded from \(dir)"), text)
        }
    }

    func testRequiredPluginFailureStopsStartup() throws {
        let dir = try TestPlugins.standardSet()
        try TestPlugins.write(.init(file: "vlm.toml", name: "vlm", kind: "describer", library: "libmissing-vlm.so",
                                    extra: "required = true"), to: dir)
        XCTAssertThrowsError(try TestPlugins.generation(dir)) { error in
            XCTAssertTrue("\(error)".contains("required plugin failed") && "\(error)".contains("vlm.toml"), "\(error)")
        }
    }

    func testEnvironmentExpansionInConfig() throws {
        let dir = TestPlugins.makeDirectory()
        let text = """
            name = "d"
            kind = "describer"
            library = "\(try TestPlugins.library("test_describer"))"
            abi_version = 1
            [config]
            text = "${TONEHOST_TEST_DESC:-a default visitor}"
            mode = "${TONEHOST_TEST_MODE}"
            """
        try text.write(toFile: "\(dir)/d.toml", atomically: true, encoding: .utf8)
        let manifest = try PluginManifest.load(file: "\(dir)/d.toml", environment: ["TONEHOST_TEST_MODE": "ok"])
        XCTAssertTrue(manifest.configJSON.contains("\"text\":\"a default visitor\""), manifest.configJSON)
        XCTAssertTrue(manifest.configJSON.contains("\"mode\":\"ok\""), manifest.configJSON)
        XCTAssertThrowsError(try PluginManifest.load(file: "\(dir)/d.toml", environment: [:])) { error in
            XCTAssertTrue("\(error)".contains("TONEHOST_TEST_MODE") && "\(error)".contains("d.toml"), "\(error)")
        }
    }

    func testLibraryFoundAlongPluginPath() throws {
        let lib = try TestPlugins.library("teen_tone")
        let dir = try TestPlugins.standardSet()
        try TestPlugins.write(.init(file: "bare.toml", name: "bare", kind: "tone", library: (lib as NSString).lastPathComponent,
                                    extra: "tone_category = \"bare_friendly\""), to: dir)
        var env = ProcessInfo.processInfo.environment
        env["TONEHOST_PLUGIN_PATH"] = "/nonexistent:" + (lib as NSString).deletingLastPathComponent
        let generation = try PluginGeneration(report: TestPlugins.load(dir, environment: env))
        XCTAssertNotNil(generation.tones["bare_friendly"])
    }

    func testRoleConflictsAreReported() throws {
        let dir = try TestPlugins.standardSet()
        // A second describer with the same priority: conflict; with a higher one: standby.
        try TestPlugins.write(.init(file: "describer2.toml", name: "second", kind: "describer",
                                    library: try TestPlugins.library("test_describer")), to: dir)
        var report = TestPlugins.load(dir)
        XCTAssertEqual(report.conflicts.count, 1)
        XCTAssertTrue(report.conflicts[0].contains("role describer") && report.conflicts[0].contains("describer2.toml"), report.conflicts[0])
        XCTAssertTrue(report.hasFailures)

        try TestPlugins.write(.init(file: "describer2.toml", name: "second", kind: "describer",
                                    library: try TestPlugins.library("test_describer"), extra: "priority = 10"), to: dir)
        report = TestPlugins.load(dir)
        XCTAssertTrue(report.conflicts.isEmpty)
        let generation = try PluginGeneration(report: report)
        XCTAssertEqual(generation.describer?.name, "second")
        let standby = report.entries.first { $0.manifest?.name == "test-describer" }
        guard case .standby = standby?.state else { return XCTFail("first describer should be standby") }
    }
}
