import Foundation

/// `tonehost config print`: `key = value  # source` lines, in the order of the table, with the
/// values of settings the table marks secret masked.
extension DaemonConfig {
    public func printable() -> String {
        var lines: [String] = []
        if let file { lines.append("# config file: \(file)") } else { lines.append("# config file: none (--config or TONEHOST_CONFIG)") }
        lines.append("# precedence: flag > environment (TONEHOST_*) > file > default")
        for setting in Settings.all {
            guard let (value, source) = values[setting.name] else {
                lines.append("# \(setting.name) is unset  (\(Settings.plain(setting.help)))")
                continue
            }
            let shown = setting.secret ? Self.mask(value) : value
            lines.append("\(setting.name) = \(Self.quote(shown))  # \(source)")
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
}
