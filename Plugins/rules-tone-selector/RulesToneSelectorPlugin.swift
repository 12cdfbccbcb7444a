import ToneRules
import TonehostPluginKit

/// Picks a tone from the description with bilingual keyword rules (see ToneRules.RuleToneSelector).
final class RulesToneSelector: ToneSelectorPlugin {
    private let host: HostServices

    init(host: HostServices) { self.host = host }

    func select(_ request: SelectRequest, sink: CallSink) throws -> String {
        let (category, cue) = RuleToneSelector.explain(request.userDescription)
        let choice = RuleToneSelector.select(request.userDescription, available: request.categories)
        host.log(.debug, "tone \(choice) (rule: \(category.rawValue), cue: \(cue ?? "none"))")
        return choice
    }
}

private let export = PluginExport.toneSelector(
    id: "tonehost.tone-selector.rules", version: "1.0",
    description: "Rule-based tone selection from the visitor description (English + 繁體中文)", nonblocking: true) { host, _ in
    RulesToneSelector(host: host)
}

@_cdecl("tonehost_plugin_entry")
public func tonehostPluginEntry() -> UnsafeRawPointer { export.descriptor }
