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
    /// Bearer tokens accepted by /admin/* (and by /api/* when `requireAPIKey`); empty: open.
    public var apiKeys: [String] = []
    /// Whether /api/* also needs one of `apiKeys`.
    public var requireAPIKey = false
    /// Origins allowed by CORS; ["*"]: any; []: no CORS headers.
    public var corsOrigins: [String] = ["*"]
    /// Requests a minute per client address to /api/*; 0: unlimited.
    public var rateLimitPerIP = 0
    /// Questions a minute per session_id; 0: unlimited.
    public var rateLimitPerSession = 0
    /// The whole answer stream; past it the stream ends with `ERROR: request timed out`.
    public var requestTimeout: Duration? = nil

    public init() {}
}
