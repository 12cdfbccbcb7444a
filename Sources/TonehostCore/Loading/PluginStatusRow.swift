import Foundation

/// One manifest's state as `tonehost plugins list` prints it and `GET /admin/plugins` serves
/// it: one type for both, so the CLI can show a running host's plugins (including isolated ones
/// given up on after repeated crashes) exactly as it shows a local load.
public struct PluginStatusRow: Codable, Sendable, Equatable {
    public enum Status: String, Codable, Sendable {
        case active, standby, failed
        /// Isolated, and its worker kept crashing: not restarted until a reload.
        case givenUp = "given_up"
    }

    public var file: String
    public var name: String
    public var kind: String
    public var tone: String?
    public var status: Status
    public var reason: String?
    public var plugin: String?
    public var library: String?
    public var isolation: String
    /// Worker crashes since the host started (isolated plugins).
    public var crashes: Int

    /// The rows of a load report, with the isolated plugins' crash state of this process.
    public static func rows(_ report: LoadReport) -> [PluginStatusRow] {
        let crashes = PluginCrashes.all, givenUp = PluginCrashes.failed
        return report.entries.map { e in
            let name = e.manifest?.name ?? "?"
            var row = PluginStatusRow(file: (e.file as NSString).lastPathComponent, name: name, kind: e.manifest?.kind.rawValue ?? "?",
                                      tone: e.plugin?.toneCategory ?? e.manifest?.toneCategory, status: .active, reason: nil,
                                      plugin: e.plugin.map { "\($0.pluginID)@\($0.pluginVersion)" }, library: e.plugin?.libraryPath,
                                      isolation: e.manifest?.isolation.rawValue ?? PluginManifest.Isolation.inProcess.rawValue,
                                      crashes: crashes[name] ?? 0)
            switch e.state {
            case .active:
                if let why = givenUp[name] { row.status = .givenUp; row.reason = why }
            case .standby(let reason):
                row.status = .standby; row.reason = reason
            case .failed(let error):
                row.status = .failed; row.reason = error.reason
            }
            return row
        }
    }

    /// `file  name=…  kind=…  [tone=…]  status=…  …` — one line per manifest.
    public var line: String {
        var line = "\(file)  name=\(name)  kind=\(kind)"
        if let tone { line += "  tone=\(tone)" }
        switch status {
        case .active: line += "  status=active"
        case .standby: line += "  status=standby"
        case .failed: line += "  status=FAILED"
        case .givenUp: line += "  status=GIVEN-UP"
        }
        if isolation != PluginManifest.Isolation.inProcess.rawValue { line += "  isolation=\(isolation)  crashes=\(crashes)" }
        if let reason { line += "  reason=\(reason)" }
        if status == .active || status == .givenUp, let plugin { line += "  plugin=\(plugin)" }
        if status == .active || status == .givenUp, let library { line += "  library=\(library)" }
        return line
    }
}
