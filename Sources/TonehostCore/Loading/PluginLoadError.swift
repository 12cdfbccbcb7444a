/// A plugin that could not be loaded: which file, and why, in words an operator can act on.
/// Made only by the loader (its memberwise init is internal).
public struct PluginLoadError: Error, CustomStringConvertible, Sendable {
    public let file: String
    public let reason: String

    public var description: String { "\(file): \(reason)" }
}
