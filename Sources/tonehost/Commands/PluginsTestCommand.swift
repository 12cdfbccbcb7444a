import ArgumentParser
import Foundation
import TonehostCore

/// `tonehost plugins test [LIB] [--manifest FILE]`: the conformance test.
struct PluginsTestCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "test",
        abstract: "Exercise one plugin library against the ABI's rules; exit 1 when it violates one.",
        discussion: """
            Checks: a plain request; Traditional Chinese comes out as whole UTF-8; a 200 KB input; 16 \
            concurrent calls answer as sequential ones do (unless TONEHOST_FLAG_SERIALIZED); a call whose \
            deadline passes returns within a second and stops emitting; every failure calls fail() with a \
            message. A tonehost-ABI library can be tested alone; a plain ("simple") library needs its \
            --manifest.
            """)

    @Argument(help: "The shared library (optional with --manifest; overrides its library).")
    var library: String?

    @Option(help: "A manifest for it: kind, [config], [simple].")
    var manifest: String?

    @OptionGroup var options: PluginOptions

    func validate() throws {
        if library == nil && manifest == nil { throw ValidationError("give a library, a --manifest, or both") }
    }

    func run() async throws {
        let report: Conformance.Report
        do {
            report = try await Conformance.run(library: library, manifest: manifest, environment: options.environment,
                                               logger: options.makeLogger(label: "tonehost"))
        } catch {
            print("FAIL loads — \(error)")
            print("plugins test: 0 passed, 1 failed")
            throw ExitCode(1)
        }
        print("plugin: \(report.plugin)")
        for check in report.checks {
            switch check.outcome {
            case .passed(let detail): print("PASS \(check.name) — \(detail)")
            case .failed(let detail): print("FAIL \(check.name) — \(detail)")
            case .skipped(let detail): print("SKIP \(check.name) — \(detail)")
            }
        }
        print("plugins test: \(report.passes) passed, \(report.failures) failed")
        if report.failures > 0 { throw ExitCode(1) }
    }
}
