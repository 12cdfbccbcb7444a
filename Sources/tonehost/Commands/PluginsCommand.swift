import ArgumentParser
import Foundation
import TonehostCore

/// `tonehost plugins list|check`: what the manifests declare and whether it loads.
struct PluginsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "plugins",
        abstract: "Inspect the plugin manifests.",
        subcommands: [List.self, Check.self, PluginsNewCommand.self, PluginsTestCommand.self])

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Load every active manifest and print its kind, status and reason.")
        @OptionGroup var options: PluginOptions

        func run() async throws {
            let report = try await options.loadReport(logger: options.makeLogger(label: "tonehost"))
            PluginsCommand.print(report)
        }
    }

    struct Check: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Like list; exits non-zero when a manifest fails, roles conflict or a required role is missing.")
        @OptionGroup var options: PluginOptions

        func run() async throws {
            let report = try await options.loadReport(logger: options.makeLogger(label: "tonehost"))
            PluginsCommand.print(report)
            if report.hasFailures {
                Swift.print("check: FAILED")
                throw ExitCode(1)
            }
            Swift.print("check: ok")
        }
    }

    static func print(_ report: LoadReport) {
        Swift.print("manifests: \(report.directory)")
        for e in report.entries {
            let file = (e.file as NSString).lastPathComponent
            let name = e.manifest?.name ?? "?"
            let kind = e.manifest?.kind.rawValue ?? "?"
            var line = "\(file)  name=\(name)  kind=\(kind)"
            if let category = e.plugin?.toneCategory ?? e.manifest?.toneCategory { line += "  tone=\(category)" }
            switch e.state {
            case .active:
                line += "  status=active"
                if let p = e.plugin { line += "  plugin=\(p.pluginID)@\(p.pluginVersion)  library=\(p.libraryPath)" }
            case .standby(let reason):
                line += "  status=standby  reason=\(reason)"
            case .failed(let error):
                line += "  status=FAILED  reason=\(error.reason)"
            }
            Swift.print(line)
        }
        for w in report.warnings { Swift.print("warning: \(w)") }
        for c in report.conflicts { Swift.print("conflict: \(c)") }
        for f in report.fatal { Swift.print("fatal: \(f)") }
    }
}
