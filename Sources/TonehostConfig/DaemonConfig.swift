import Foundation

/// The effective configuration of `tonehost serve`, merged from (highest first) command-line
/// flags, `TONEHOST_*` environment variables, the TOML config file, and defaults, every value
/// checked against its setting's kind.
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
        for setting in Settings.all {
            if let v = flags[setting.name] {
                values[setting.name] = (v, .flag)
            } else if let (name, v) = setting.environmentNames.lazy.compactMap({ n in environment[n].map { (n, $0) } }).first {
                values[setting.name] = (v, .environment(name))
            } else if let v = fromFile[setting.name] {
                values[setting.name] = (v, .file(file!))
            } else if let v = setting.defaultValue {
                values[setting.name] = (v, .defaultValue)
            }
        }
        try validate()
    }

    /// Only the defaults (what the server runs with when nothing is configured).
    public static let defaults = try! DaemonConfig(flags: [:], configFile: nil, environment: [:])

    /// The typed value of a setting: `config[\.requestTimeoutMs]` is a `Duration?`.
    public subscript<Value>(_ key: KeyPath<SettingsTable, Setting<Value>>) -> Value {
        let setting = Settings.table[keyPath: key]
        return setting.decode(values[setting.info.name]?.value)
    }

    /// Keys whose values differ from `other` — used by reload to warn about restart-only settings.
    public func changedKeys(from other: DaemonConfig) -> [String] {
        Settings.all.map(\.name).filter { values[$0]?.value != other.values[$0]?.value }
    }

    /// The first value that is not of its setting's kind, as an error naming the key, where the
    /// value came from and what was expected.
    private func validate() throws {
        for setting in Settings.all {
            guard let (v, source) = values[setting.name], let refusal = setting.kind.refusal(v) else { continue }
            throw ConfigError("\(setting.name) (\(source)) \(refusal)")
        }
    }
}
