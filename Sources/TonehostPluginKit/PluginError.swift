import CTonehostABI

/// An error a plugin reports to the host: a status code and a message a person can act on.
public struct PluginError: Error, CustomStringConvertible {
    public enum Code: Int32 {
        case invalidArgument = -1, unavailable = -2, timeout = -3, cancelled = -4, badResponse = -5, internalError = -6, config = -7
    }
    public let code: Code
    public let message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { message }

    public static let cancelled = PluginError(.cancelled, "cancelled")
}
