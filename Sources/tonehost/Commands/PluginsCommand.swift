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
        static let configuration = CommandConfiguration(
            abstract: "Load every active manifest and print its kind, status and reason; with --url, a running host's plugins.")
        @OptionGroup var options: PluginOptions
        @Option(name: .long, help: "A running host (http://127.0.0.1:5002): print its plugins, with isolated ones given up on (GET /admin/plugins; the key from $TONEHOST_API_KEY).")
        var url: String?

        func run() async throws {
            if let url {
                let rows = try await RemotePlugins.fetch(base: url, apiKey: ProcessInfo.processInfo.environment["TONEHOST_API_KEY"])
                Swift.print("host: \(url)")
                for row in rows { Swift.print(row.line) }
                return
            }
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
        for row in PluginStatusRow.rows(report) { Swift.print(row.line) }
        for w in report.warnings { Swift.print("warning: \(w)") }
        for c in report.conflicts { Swift.print("conflict: \(c)") }
        for f in report.fatal { Swift.print("fatal: \(f)") }
    }
}
