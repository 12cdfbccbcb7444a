import Foundation

/// The effective configuration of `tonehost serve`, merged from (highest first) command-line
/// flags, `TONEHOST_*` environment variables, the TOML config file, and defaults.
public struct DaemonConfig: Sendable {
    /// Raw values and where each came from, by key name.
    public private(set) var values: [String: (value: String, source: ConfigSource)] = [:]
    /// The config file read, if any.
    public let file: String?

    /// - flags: values given on the command line, by key name (only those the user set).
    /// - configFile: `--config`; else `$TONEHOST_CONFIG`; else no file.
    public init(flags: [String: String], configFile: String?, environment: [String: String]) throws {
        let file = configFile ?? environment["TONEHOST_CONFIG"].flatMap { $0.isEmpty ? nil : $0 }
        self.file = file
        let fromFile = try file.map(ConfigFile.read) ?? [:]
        for key in ConfigKey.all {
            if let v = flags[key.name] {
                values[key.name] = (v, .flag)
            } else if let (name, v) = ([key.environmentName] + key.aliases).lazy.compactMap({ n in environment[n].map { (n, $0) } }).first {
                values[key.name] = (v, .environment(name))
            } else if let v = fromFile[key.name] {
                values[key.name] = (v, .file(file!))
            } else if let v = key.defaultValue {
                values[key.name] = (v, .defaultValue)
            }
        }
        try validate()
    }

    public func string(_ key: String) -> String? {
        guard let v = values[key]?.value, !v.isEmpty else { return nil }
        return v
    }

    public func int(_ key: String) -> Int {
        Int(values[key]?.value ?? "") ?? Int(ConfigKey.named(key)?.defaultValue ?? "") ?? 0
    }

    public func bool(_ key: String) -> Bool {
        ["true", "1", "yes", "on"].contains((values[key]?.value ?? "").lowercased())
    }

    /// A duration in milliseconds; 0 or negative means none.
    public func milliseconds(_ key: String) -> Duration? {
        let ms = int(key)
        return ms > 0 ? .milliseconds(ms) : nil
    }

    public var apiKeys: [String] {
        (string("api_keys") ?? "").split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
    }

    /// Keys whose values differ from `other` — used by reload to warn about restart-only settings.
    public func changedKeys(from other: DaemonConfig) -> [String] {
        ConfigKey.all.map(\.name).filter { values[$0]?.value != other.values[$0]?.value }
    }

    /// `key = value  # source` lines, secrets masked.
    public func printable() -> String {
        var lines: [String] = []
        if let file { lines.append("# config file: \(file)") } else { lines.append("# config file: none (--config or TONEHOST_CONFIG)") }
        lines.append("# precedence: flag > environment (TONEHOST_*) > file > default")
        for key in ConfigKey.all {
            guard let (value, source) = values[key.name] else {
                lines.append("# \(key.name) is unset  (\(key.help))")
                continue
            }
            // The settings table says what is secret (api_keys); a name like require_api_key is a
            // switch the operator must be able to read.
            let shown = key.secret ? Self.mask(value) : value
            lines.append("\(key.name) = \(Self.quote(shown))  # \(source)")
        }
        return lines.joined(separator: "\n")
    }

    public static func mask(_ value: String) -> String {
        value.isEmpty ? "" : "***"
    }

    private static func quote(_ s: String) -> String {
        if Int(s) != nil || s == "true" || s == "false" { return s }
        return "\"" + s.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"") + "\""
    }

    private func validate() throws {
        let numeric = ["port", "log_max_bytes", "log_keep", "max_body_bytes", "max_message_length", "history_messages",
                       "describer_timeout_ms", "selector_timeout_ms", "retrieval_timeout_ms", "generation_timeout_ms",
                       "tone_timeout_ms", "request_timeout_ms", "shutdown_grace_seconds", "drain_delay_seconds",
                       "rate_limit_per_ip", "rate_limit_per_session", "description_cache_seconds",
                       "max_description_length", "max_session_id_length", "max_image_bytes", "header_timeout_ms",
                       "body_timeout_ms", "idle_timeout_ms", "max_connections", "history_timeout_ms"]
        for key in numeric {
            guard let (v, source) = values[key] else { continue }
            guard let n = Int(v), n >= 0 else { throw ConfigError("\(key) (\(source)) must be a non-negative integer, found \"\(v)\"") }
            if key == "port", n > 65535 { throw ConfigError("port (\(source)) must be at most 65535, found \(n)") }
        }
        for key in ["auto_init", "require_api_key", "strict_permissions"] {
            if let (v, source) = values[key], !["true", "false", "1", "0", "yes", "no", "on", "off"].contains(v.lowercased()) {
                throw ConfigError("\(key) (\(source)) must be true or false, found \"\(v)\"")
            }
        }
        if let (v, source) = values["log_level"], !["trace", "debug", "info", "notice", "warning", "error", "critical"].contains(v.lowercased()) {
            throw ConfigError("log_level (\(source)) must be one of trace, debug, info, notice, warning, error, critical; found \"\(v)\"")
        }
    }
}
