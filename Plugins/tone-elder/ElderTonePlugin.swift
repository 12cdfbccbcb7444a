import RuleTonePlugins

/// The elder_friendly tone by deterministic rules, sentence by sentence (see RuleTone).
private let export = RuleTone.export(.elder)

@_cdecl("tonehost_plugin_entry")
public func tonehostPluginEntry() -> UnsafeRawPointer { export.descriptor }
