import ArgumentParser

/// `tonehost serve` options that exist for running it as a daemon (config file, logs,
/// shutdown, timeouts). Each but `--config` is a setting of the table, named after its key;
/// unset ones come from env / file / defaults.
struct DaemonOptions: ParsableArguments {
    @Option(name: .long, help: "TOML config file (default: $TONEHOST_CONFIG, else none).")
    var config: String?

    @Option(help: .setting(\.logFile)) var logFile: String?
    @Option(help: .setting(\.logMaxBytes)) var logMaxBytes: String?
    @Option(help: .setting(\.logKeep)) var logKeep: String?
    @Option(help: .setting(\.shutdownGraceSeconds)) var shutdownGraceSeconds: String?
    @Option(help: .setting(\.drainDelaySeconds)) var drainDelaySeconds: String?
    @Option(help: .setting(\.requestTimeoutMs)) var requestTimeoutMs: String?
    @Option(help: .setting(\.describerTimeoutMs)) var describerTimeoutMs: String?
    @Option(help: .setting(\.generationTimeoutMs)) var generationTimeoutMs: String?
}
