/// A plugin that could not be loaded: which file, and why, in words an operator can act on.
public struct PluginLoadError: Error, CustomStringConvertible, Sendable {
    public let file: String
    public let reason: String

    public init(file: String, reason: String) {
        self.file = file
        self.reason = reason
    }

    public var description: String { "\(file): \(reason)" }
}
