import ArgumentParser

/// `tonehost serve` options that exist for running it as a daemon (config file, logs,
/// shutdown, timeouts). Each maps to a config key; unset ones come from env / file / defaults.
struct DaemonOptions: ParsableArguments {
    @Option(name: .long, help: "TOML config file (default: $TONEHOST_CONFIG, else none).")
    var config: String?

    @Option(name: .long, help: "Log to this file, rotated by size, instead of stderr.")
    var logFile: String?

    @Option(name: .long, help: "Rotate the log file at this many bytes (default 10 MiB).")
    var logMaxBytes: Int?

    @Option(name: .long, help: "Rotated log files to keep (default 5).")
    var logKeep: Int?

    @Option(name: .long, help: "SIGTERM: seconds in-flight streams may take to finish before they are cut (default 30).")
    var shutdownGraceSeconds: Int?

    @Option(name: .long, help: "SIGTERM: seconds /readyz fails before the listener closes (default 0).")
    var drainDelaySeconds: Int?

    @Option(name: .long, help: "Whole answer stream limit in ms; 0 = none (default 300000).")
    var requestTimeoutMs: Int?

    @Option(name: .long, help: "Describer (VLM) deadline in ms (default 5000; a manifest deadline_ms wins).")
    var describerTimeoutMs: Int?

    @Option(name: .long, help: "LLM deadline in ms; 0 = none (default 0).")
    var generationTimeoutMs: Int?

    var flagValues: [String: String] {
        var v: [String: String] = [:]
        v["log_file"] = logFile
        v["log_max_bytes"] = logMaxBytes.map(String.init)
        v["log_keep"] = logKeep.map(String.init)
        v["shutdown_grace_seconds"] = shutdownGraceSeconds.map(String.init)
        v["drain_delay_seconds"] = drainDelaySeconds.map(String.init)
        v["request_timeout_ms"] = requestTimeoutMs.map(String.init)
        v["describer_timeout_ms"] = describerTimeoutMs.map(String.init)
        v["generation_timeout_ms"] = generationTimeoutMs.map(String.init)
        return v
    }
}
