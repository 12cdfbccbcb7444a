import Foundation

/// The README's configuration table, rendered from the settings table (`tonehost config table`;
/// a test checks the README holds exactly this).
extension Settings {
    public static func markdownTable() -> String {
        var lines = ["| key | flag | type | default | reload | meaning |", "|---|---|---|---|---|---|"]
        for s in all {
            let key = "`\(s.name)`" + (s.aliases.isEmpty ? "" : " (also " + s.aliases.map { "`\($0)`" }.joined(separator: ", ") + ")")
            let flag = s.flag ? "`\(s.flagName)`" : "—"
            let value = s.defaultValue.map { "`\($0)`" } ?? s.unsetMeaning.map { "— (`\($0)`)" } ?? "—"
            let meaning = (s.secret ? "**secret** (masked by `config print`); " : "") + s.help
            let cells = [key, flag, s.kind.typeName, value, s.reloadable ? "yes" : "restart", meaning]
            lines.append("| " + cells.map(escape).joined(separator: " | ") + " |")
        }
        return lines.joined(separator: "\n")
    }

    private static func escape(_ cell: String) -> String {
        cell.replacingOccurrences(of: "|", with: "\\|")
    }
}
