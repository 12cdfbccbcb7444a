import RuleTonePlugins

/// The casual_friendly tone by deterministic rules, sentence by sentence (see RuleTone).
private let export = RuleTone.export(.casual)

@_cdecl("tonehost_plugin_entry")
public func tonehostPluginEntry() -> UnsafeRawPointer { export.descriptor }
