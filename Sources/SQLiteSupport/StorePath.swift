import Foundation

/// Where the store (knowledge base + sessions, one SQLite file) lives when no path is given.
public enum StorePath {
    /// `$TONEHOST_DB` if set, else `$XDG_DATA_HOME/tonehost/tonehost.db`, else
    /// `~/.local/share/tonehost/tonehost.db`.
    public static var defaultPath: String {
        let env = ProcessInfo.processInfo.environment
        if let db = env["TONEHOST_DB"], !db.isEmpty { return (db as NSString).expandingTildeInPath }
        if let xdg = env["XDG_DATA_HOME"], xdg.hasPrefix("/") {
            return (xdg as NSString).appendingPathComponent("tonehost/tonehost.db")
        }
        let home = env["HOME"].flatMap { $0.isEmpty ? nil : $0 } ?? NSHomeDirectory()
        return (home as NSString).appendingPathComponent(".local/share/tonehost/tonehost.db")
    }
}
