import RuleTonePlugins

/// The professional_friendly tone by deterministic rules, sentence by sentence (see RuleTone).
private let export = RuleTone.export(.professional)

@_cdecl("tonehost_plugin_entry")
public func tonehostPluginEntry() -> UnsafeRawPointer { export.descriptor }
