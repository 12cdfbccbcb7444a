import CTonehostABI

/// Why a plugin call did not deliver, with the plugin's own words when it gave any.
public struct PluginCallError: Error, CustomStringConvertible, Sendable, Equatable {
    public enum Reason: Sendable, Equatable {
        case failed(status: Int32)
        case timedOut
        case cancelled
    }

    public let plugin: String
    public let reason: Reason
    public let message: String

    public var isTimeout: Bool { reason == .timedOut }

    /// The ABI status that reports this error across a boundary (a plugin worker's reply).
    public var status: Int32 {
        switch reason {
        case .timedOut: return TONEHOST_ERR_TIMEOUT
        case .cancelled: return TONEHOST_ERR_CANCELLED
        case .failed(let status): return status
        }
    }

    /// How a host service (`tonehost.llm.v1`) reports a failed chat: timeout, cancelled, else unavailable.
    static func serviceStatus(_ error: Error) -> Int32 {
        switch (error as? PluginCallError)?.reason {
        case .timedOut?: return TONEHOST_ERR_TIMEOUT
        case .cancelled?: return TONEHOST_ERR_CANCELLED
        default: return TONEHOST_ERR_UNAVAILABLE
        }
    }

    public var description: String {
        switch reason {
        case .timedOut: return "plugin '\(plugin)' timed out: \(message)"
        case .cancelled: return "plugin '\(plugin)' call cancelled"
        case .failed(let status): return "plugin '\(plugin)' failed (\(Self.statusName(status))): \(message)"
        }
    }

    static func statusName(_ s: Int32) -> String {
        switch s {
        case TONEHOST_ERR_INVALID_ARGUMENT: return "invalid argument"
        case TONEHOST_ERR_UNAVAILABLE: return "unavailable"
        case TONEHOST_ERR_TIMEOUT: return "timeout"
        case TONEHOST_ERR_CANCELLED: return "cancelled"
        case TONEHOST_ERR_BAD_RESPONSE: return "bad response"
        case TONEHOST_ERR_INTERNAL: return "internal error"
        case TONEHOST_ERR_CONFIG: return "config error"
        default: return "status \(s)"
        }
    }
}
