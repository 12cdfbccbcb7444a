import ArgumentParser
import TonehostConfig

extension ArgumentHelp {
    /// The `--help` text of a setting's flag, from the settings table.
    static func setting<Value>(_ key: KeyPath<SettingsTable, Setting<Value>>, defaultText: String? = nil) -> ArgumentHelp {
        ArgumentHelp(Settings.flagHelp(Settings.table[keyPath: key].info, defaultText: defaultText))
    }
}

/// The settings given on the command line, read off the `@Option var someKey: String?` and
/// `@Flag var someKey: Bool` properties of option groups: a property named after a setting
/// (`logMaxBytes` for `log_max_bytes`) is that setting's flag, so no list maps flags to keys.
enum SettingFlags {
    /// - groups: the parsed option groups holding the flags.
    /// - others: properties of those groups that are not settings (`config`, `debug`).
    /// A property that is neither, or a `flag: true` setting without a property, is a
    /// programming error, caught by the first run.
    static func values(in groups: [Any], others: Set<String>) -> [String: String] {
        var values: [String: String] = [:]
        var seen: Set<String> = []
        for group in groups {
            for child in Mirror(reflecting: group).children {
                guard let label = child.label?.drop(while: { $0 == "_" }) else { continue }
                let value: String?
                if let option = child.value as? Option<String?> {
                    value = option.wrappedValue
                } else if let flag = child.value as? Flag<Bool> {
                    value = flag.wrappedValue ? "true" : nil
                } else {
                    continue  // an @OptionGroup, walked on its own
                }
                guard let setting = Settings.all.first(where: { Settings.folded($0.name) == Settings.folded(String(label)) }) else {
                    precondition(others.contains(String(label)), "--\(label) is neither a setting nor a known other option")
                    continue
                }
                seen.insert(setting.name)
                values[setting.name] = value
            }
        }
        let declared = Set(Settings.all.filter(\.flag).map(\.name))
        precondition(seen == declared, "flags and the settings table disagree: \(seen.symmetricDifference(declared).sorted())")
        return values
    }
}
