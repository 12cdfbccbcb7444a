import ArgumentParser
import TonehostConfig

/// Every flag of `tonehost serve` (also taken by `tonehost config print`, so it shows what
/// `serve` with the same flags would run with). Options named after a setting of the table set
/// it; values are checked by the table like any other source.
struct ServeOptions: ParsableArguments {
    @OptionGroup var options: PluginOptions
    @OptionGroup var daemon: DaemonOptions

    @Option(help: .setting(\.host)) var host: String?
    @Option(help: .setting(\.port)) var port: String?
    @Option(help: .setting(\.userDescriptionServer)) var userDescriptionServer: String?
    @Flag(help: .setting(\.autoInit)) var autoInit = false

    @Flag(name: .long, help: "Debug logging (same as --log-level debug).")
    var debug = false

    @Option(help: .setting(\.maxBodyBytes)) var maxBodyBytes: String?
    @Option(help: .setting(\.maxMessageLength)) var maxMessageLength: String?
    @Option(help: .setting(\.historyMessages)) var historyMessages: String?

    /// The settings given on the command line, by key.
    var flagValues: [String: String] {
        var v = SettingFlags.values(in: [options, daemon, self], others: ["config", "debug"])
        if debug { v["log_level"] = "debug" }
        return v
    }
}
