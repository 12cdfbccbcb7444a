import Foundation

/// Which visitors a tone is for, as its manifest declares them, so a rule-based selector can
/// choose a third party's tone:
///
///     [cues]
///     en = ["teenager", "teen", "skateboard", "high school student"]   # whole words / phrases
///     zh = ["青少年", "高中生", "滑板"]                                    # substrings
///     precedence = "first"   # "first": before the built-in rules (a teenager is teen, not child);
///                            # "last": only when no built-in rule matched (before casual)
///
/// The loader hands every tone selector the cues of all tone manifests in its config, as
/// `"tone_cues": {"teen_friendly": {"en": […], "zh": […], "precedence": "first"}}` (a selector's
/// own `tone_cues` in its [config] wins). A reload re-reads them.
public struct ToneCues: Sendable, Equatable {
    public var english: [String]
    public var chinese: [String]
    public var first: Bool

    public static let precedences = ["first", "last"]

    /// The `tone_cues` object for the tone manifests among `manifests` that declare cues.
    static func json(_ manifests: [PluginManifest]) -> [String: Any] {
        var out: [String: Any] = [:]
        for m in manifests where m.kind == .tone {
            guard let cues = m.cues, let category = m.toneCategory else { continue }
            out[category] = ["en": cues.english, "zh": cues.chinese, "precedence": cues.first ? "first" : "last"]
        }
        return out
    }

    /// `config` (a JSON object) with `tone_cues` added unless it has its own.
    static func inject(_ cues: [String: Any], into config: String) -> String {
        guard !cues.isEmpty,
              var object = (try? JSONSerialization.jsonObject(with: Data(config.utf8))) as? [String: Any],
              object["tone_cues"] == nil else { return config }
        object["tone_cues"] = cues
        guard let data = try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]) else { return config }
        return String(decoding: data, as: UTF8.self)
    }
}
