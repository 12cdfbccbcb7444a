import ArgumentParser
import Foundation
import TonehostConfig

/// `tonehost config print`: the effective `serve` configuration and where each value came from.
struct ConfigCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "config",
        abstract: "Show the effective configuration of `tonehost serve`.",
        subcommands: [Print.self])

    struct Print: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "print",
            abstract: "Print the effective configuration (flags > TONEHOST_* environment > config file > defaults), secrets masked.")

        @Option(name: .long, help: "TOML config file (default: $TONEHOST_CONFIG, else none).")
        var config: String?

        func run() async throws {
            do {
                let effective = try DaemonConfig(flags: [:], configFile: config, environment: ProcessInfo.processInfo.environment)
                print(effective.printable())
            } catch {
                printError("tonehost: \(error)")
                throw ExitCode(2)
            }
        }
    }
}
