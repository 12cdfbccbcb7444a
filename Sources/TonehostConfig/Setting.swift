import Foundation

/// One setting of `tonehost serve`, declared once in `SettingsTable`: its name in the TOML
/// file, the kind of value, the default, whether a reload applies it, whether it is a secret,
/// whether `serve` has a flag for it, extra environment names, and its help text.
public struct SettingInfo: Sendable {
    public let name: String
    public let kind: SettingKind
    /// The default as it would be written in the file; nil: unset unless given.
    public let defaultValue: String?
    /// What the server does when a setting without a default is unset ("stderr").
    public let unsetMeaning: String?
    /// Re-read on SIGHUP / POST /admin/reload; the others need a restart.
    public let reloadable: Bool
    /// Masked in `config print` (and so never printed).
    public let secret: Bool
    /// `tonehost serve --<name-with-dashes>` exists.
    public let flag: Bool
    /// Extra environment names accepted after `TONEHOST_<NAME>` (e.g. LLM_MODEL_NAME).
    public let aliases: [String]
    public let help: String

    public var environmentName: String { "TONEHOST_" + name.uppercased() }
    /// Every environment variable read for it, in the order they are tried.
    public var environmentNames: [String] { [environmentName] + aliases }
    /// `--log-max-bytes` for `log_max_bytes`.
    public var flagName: String { "--" + name.replacingOccurrences(of: "_", with: "-") }
}

/// A setting and how its checked raw value becomes the typed value the server reads
/// (`config[\.requestTimeoutMs]` is a `Duration?`).
public struct Setting<Value>: Sendable {
    public let info: SettingInfo
    let decode: @Sendable (String?) -> Value

    init(_ name: String, _ kind: SettingKind, default defaultValue: String?, unset: String? = nil, reloadable: Bool, secret: Bool,
         flag: Bool, aliases: [String], help: String, decode: @escaping @Sendable (String?) -> Value) {
        info = SettingInfo(name: name, kind: kind, defaultValue: defaultValue, unsetMeaning: unset, reloadable: reloadable, secret: secret,
                           flag: flag, aliases: aliases, help: help)
        self.decode = decode
    }
}

/// Lets the table be walked without knowing each setting's value type.
protocol AnySetting { var info: SettingInfo { get } }
extension Setting: AnySetting {}

// One initialiser per kind, so a declaration in the table reads as its kind and the value type
// follows from it. Values reach `decode` only after `SettingKind.refusal` accepted them.

extension Setting where Value == String? {
    /// Text; empty or unset: nil (which the server reads as `unset`, when given).
    static func string(_ name: String, default d: String? = nil, unset: String? = nil, reloadable: Bool = false, secret: Bool = false,
                       flag: Bool = false, aliases: [String] = [], _ help: String) -> Self {
        .init(name, .string, default: d, unset: unset, reloadable: reloadable, secret: secret, flag: flag, aliases: aliases, help: help) {
            guard let v = $0, !v.isEmpty else { return nil }
            return v
        }
    }
}

extension Setting where Value == String {
    /// One of `words`, lowercased.
    static func choice(_ name: String, _ words: [String], default d: String, reloadable: Bool = false, flag: Bool = false, _ help: String) -> Self {
        .init(name, .choice(words), default: d, reloadable: reloadable, secret: false, flag: flag, aliases: [], help: help) {
            ($0 ?? d).lowercased()
        }
    }
}

extension Setting where Value == Int {
    static func int(_ name: String, _ range: ClosedRange<Int> = SettingKind.nonNegative, default d: Int, reloadable: Bool = false,
                    flag: Bool = false, _ help: String) -> Self {
        .init(name, .int(range), default: String(d), reloadable: reloadable, secret: false, flag: flag, aliases: [], help: help) {
            $0.flatMap { Int($0) } ?? d
        }
    }
}

extension Setting where Value == Bool {
    static func bool(_ name: String, default d: Bool, reloadable: Bool = false, flag: Bool = false, _ help: String) -> Self {
        .init(name, .bool, default: String(d), reloadable: reloadable, secret: false, flag: flag, aliases: [], help: help) {
            $0.map { SettingKind.trueWords.contains($0.lowercased()) } ?? d
        }
    }
}

extension Setting where Value == Duration {
    /// Seconds (0 allowed).
    static func seconds(_ name: String, default d: Int, reloadable: Bool = false, flag: Bool = false, _ help: String) -> Self {
        .init(name, .seconds, default: String(d), reloadable: reloadable, secret: false, flag: flag, aliases: [], help: help) {
            .seconds($0.flatMap { Int($0) } ?? d)
        }
    }
}

extension Setting where Value == Duration? {
    /// Milliseconds; 0: none (nil).
    static func milliseconds(_ name: String, default d: Int, reloadable: Bool = false, flag: Bool = false, _ help: String) -> Self {
        .init(name, .milliseconds, default: String(d), reloadable: reloadable, secret: false, flag: flag, aliases: [], help: help) {
            let ms = $0.flatMap { Int($0) } ?? d
            return ms > 0 ? .milliseconds(ms) : nil
        }
    }
}

extension Setting where Value == [String] {
    /// Comma-separated, each item trimmed, empty items dropped.
    static func list(_ name: String, default d: String? = nil, reloadable: Bool = false, secret: Bool = false, _ help: String) -> Self {
        .init(name, .list, default: d, reloadable: reloadable, secret: secret, flag: false, aliases: [], help: help) {
            ($0 ?? "").split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        }
    }
}
