import Foundation

/// The table's help texts as the terminal shows them (`--help`, `config print`).
extension Settings {
    /// Help text without Markdown code spans.
    public static func plain(_ help: String) -> String {
        help.replacingOccurrences(of: "`", with: "")
    }

    /// The `--help` line of a setting's flag: its help, default and environment variable.
    /// - defaultText: overrides the table's default (a command that shares the flag with
    ///   another default).
    public static func flagHelp(_ setting: SettingInfo, defaultText: String? = nil) -> String {
        var text = plain(setting.help)
        text = text.prefix(1).uppercased() + text.dropFirst()
        var notes: [String] = []
        if case .choice(let words) = setting.kind { notes.append(words.joined(separator: ", ")) }
        if let d = defaultText ?? setting.defaultValue ?? setting.unsetMeaning { notes.append("default \(d)") }
        notes.append("env \(setting.environmentNames.joined(separator: " or "))")
        return text + " (" + notes.joined(separator: "; ") + ")."
    }
}
