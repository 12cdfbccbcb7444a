import ArgumentParser
import Foundation

/// `tonehost plugins new tone CATEGORY --lang c|swift [--simple] DIR`: a working plugin to start from.
struct PluginsNewCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "new",
        abstract: "Write a working tone plugin (source, manifest, build script) into a new folder.",
        discussion: """
            --lang c: C against tonehost_plugin.h (build.sh finds it with pkg-config tonehost-plugin, see \
            scripts/install-sdk.sh, or in $TONEHOST_INCLUDE). --lang c --simple: plain C with no tonehost \
            header, called through libffi. --lang swift: a Swift package depending on the TonehostPluginKit \
            product of a tonehost checkout (--sdk, or $TONEHOST_SDK when building).
            """)

    @Argument(help: "The plugin kind; only \"tone\" for now.")
    var kind: String

    @Argument(help: "The tone category it serves, e.g. teen_friendly.")
    var category: String

    @Argument(help: "The folder to create (must not exist, or be empty).")
    var directory: String

    @Option(help: "c or swift.")
    var lang: String = "c"

    @Flag(help: "With --lang c: plain C functions with no tonehost header, called through libffi.")
    var simple = false

    @Option(help: "With --lang swift: the tonehost checkout to build against (default: $TONEHOST_SDK).")
    var sdk: String?

    func validate() throws {
        guard kind == "tone" else { throw ValidationError("only tone plugins can be generated for now, not \"\(kind)\"") }
        guard category.range(of: #"^[a-z][a-z0-9_]*$"#, options: .regularExpression) != nil else {
            throw ValidationError("the category must be lower-case letters, digits and _ (like teen_friendly), found \"\(category)\"")
        }
        guard ["c", "swift"].contains(lang) else { throw ValidationError("--lang must be c or swift, found \"\(lang)\"") }
        if simple && lang != "c" { throw ValidationError("--simple is for --lang c") }
        if lang == "swift" && (sdk ?? ProcessInfo.processInfo.environment["TONEHOST_SDK"]) == nil {
            throw ValidationError("--lang swift needs --sdk PATH (a tonehost checkout) or TONEHOST_SDK")
        }
    }

    func run() throws {
        let template = ToneTemplate(category: category)
        let files: [String: String]
        switch (lang, simple) {
        case ("swift", _): files = template.swiftFiles(sdk: sdk ?? ProcessInfo.processInfo.environment["TONEHOST_SDK"]!)
        case (_, true): files = template.simpleFiles()
        default: files = template.cFiles()
        }
        let fm = FileManager.default
        if let existing = try? fm.contentsOfDirectory(atPath: directory), !existing.isEmpty {
            throw ExitCode(2, printing: "tonehost: \(directory) exists and is not empty")
        }
        for (name, text) in files.sorted(by: { $0.key < $1.key }) {
            let path = (directory as NSString).appendingPathComponent(name)
            try fm.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            try text.write(toFile: path, atomically: true, encoding: .utf8)
            if name.hasSuffix(".sh") { chmod(path, 0o755) }
        }
        print("wrote \(files.count) files to \(directory):")
        for name in files.keys.sorted() { print("  \(name)") }
        print("next: \(directory)/build.sh, then copy \(directory)/\(template.manifestName) (and the library) into the manifest folder and reload")
    }
}
