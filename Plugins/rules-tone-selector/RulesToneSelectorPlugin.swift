import Foundation
import ToneRules
import TonehostPluginKit

/// Picks a tone from the description with bilingual keyword rules (see ToneRules.RuleToneSelector),
/// plus the cues of third-party tones: the host puts every tone manifest's `[cues]` into this
/// plugin's config as `tone_cues` (`{"teen_friendly": {"en": […], "zh": […], "precedence": "first"}}`).
final class RulesToneSelector: ToneSelectorPlugin {
    private let host: HostServices
    private let custom: [CustomToneCues]

    init(host: HostServices, config: PluginConfig) throws {
        self.host = host
        var custom: [CustomToneCues] = []
        if let raw = config.values["tone_cues"] {
            guard let table = raw as? [String: Any] else { throw PluginError(.config, "'tone_cues' must be an object of category → cues") }
            for (category, value) in table.sorted(by: { $0.key < $1.key }) {
                guard let cues = value as? [String: Any] else { throw PluginError(.config, "tone_cues.\(category) must be an object") }
                custom.append(CustomToneCues(category: category, english: cues["en"] as? [String] ?? [],
                                             chinese: cues["zh"] as? [String] ?? [],
                                             first: (cues["precedence"] as? String ?? "first") == "first"))
            }
            host.log(.info, "cues for \(custom.count) more tone(s): \(custom.map(\.category).joined(separator: ", "))")
        }
        self.custom = custom
    }

    func select(_ request: SelectRequest, sink: CallSink) throws -> String {
        let (choice, cue) = RuleToneSelector.choose(request.userDescription, available: request.categories, custom: custom)
        host.log(.debug, "tone \(choice) (cue: \(cue ?? "none"))")
        return choice
    }
}

private let export = PluginExport.toneSelector(
    id: "tonehost.tone-selector.rules", version: "1.1",
    description: "Rule-based tone selection from the visitor description (English + 繁體中文), with third-party tones' cues",
    nonblocking: true) { host, config in
    try RulesToneSelector(host: host, config: config)
}

@_cdecl("tonehost_plugin_entry")
public func tonehostPluginEntry() -> UnsafeRawPointer { export.descriptor }
