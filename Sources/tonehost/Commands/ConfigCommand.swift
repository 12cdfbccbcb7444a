import ArgumentParser
import Foundation
import TonehostConfig

/// `tonehost config print`: the effective `serve` configuration and where each value came from;
/// `tonehost config table`: the settings table as the README's Markdown table.
struct ConfigCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "config",
        abstract: "Show the effective configuration of `tonehost serve`, or its settings.",
        subcommands: [Print.self, Table.self])

    struct Print: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "print",
            abstract: "Print the effective configuration (flags > TONEHOST_* environment > config file > defaults), secrets masked.",
            discussion: "Takes the flags of `tonehost serve`, so it shows what `serve` with them would run with.")

        @OptionGroup var serve: ServeOptions

        func run() async throws {
            let effective = try exitOnError(2, "tonehost: ") {
                try DaemonConfig(flags: serve.flagValues, configFile: serve.daemon.config, environment: ProcessInfo.processInfo.environment)
            }
            print(effective.printable())
        }
    }

    struct Table: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "table",
            abstract: "Print every setting (key, flag, type, default, reload, meaning) as the Markdown table of the README.")

        func run() async throws {
            print(Settings.markdownTable())
        }
    }
}
