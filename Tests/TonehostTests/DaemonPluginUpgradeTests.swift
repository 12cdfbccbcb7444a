import Foundation
import TonehostCore
import XCTest

/// A library replaced on disk after it was loaded keeps running its old code (dlopen returns the
/// loaded library; nothing is unloaded): the loader says so instead of pretending it upgraded.
final class DaemonPluginUpgradeTests: XCTestCase {
    func testReloadWarnsWhenALoadedLibraryChangedOnDisk() throws {
        let original = try TestPlugins.library("teen_tone")
        let folder = NSTemporaryDirectory() + "tonehost-upgrade-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let library = folder + "/libteen-upgrade.so"
        try FileManager.default.copyItem(atPath: original, toPath: library)
        let dir = try TestPlugins.standardSet()
        try TestPlugins.write(.init(file: "tone-teen2.toml", name: "teen2", kind: "tone", library: library,
                                    extra: "tone_category = \"pirate_friendly\""), to: dir)

        let first = TestPlugins.load(dir)
        XCTAssertTrue(first.warnings.isEmpty, "\(first.warnings)")
        XCTAssertTrue(first.fatal.isEmpty, "\(first.fatal)")
        // Loading the same, unchanged file again is fine.
        XCTAssertTrue(TestPlugins.load(dir).warnings.isEmpty)

        // An operator installs a "new version" over the old path (a new inode, as install/mv do).
        let staged = folder + "/staged.so"
        try FileManager.default.copyItem(atPath: original, toPath: staged)
        XCTAssertEqual(rename(staged, library), 0)
        let again = TestPlugins.load(dir)
        XCTAssertEqual(again.warnings.count, 1, "\(again.warnings)")
        XCTAssertTrue(again.warnings.first?.contains("new file name") == true, "\(again.warnings)")
        XCTAssertTrue(again.fatal.isEmpty)
    }
}
