/// What `tonehost serve` is configured with (flags, environment, config file, defaults).
public struct ServerSettings: Sendable {
    public var host = "0.0.0.0"
    public var port = 5002
    /// Request bodies above this size get 413.
    public var maxBodyBytes = 1 << 20
    /// Longest accepted question / text, in characters.
    public var maxMessageLength = 4000
    /// Messages of history (user + assistant) handed to the pipeline.
    public var historyMessages = 10
    /// Bearer tokens accepted by /admin/*; empty: admin endpoints are open.
    public var apiKeys: [String] = []
    /// The whole answer stream; past it the stream ends with `ERROR: request timed out`.
    public var requestTimeout: Duration? = nil

    public init() {}
}
