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
    public var requestTimeout: Duration? = .milliseconds(300_000)
    /// Longest accepted user_description (characters), session_id (UTF-8 bytes), image (bytes).
    public var maxDescriptionLength = 2000
    public var maxSessionIDLength = 256
    public var maxImageBytes = 1 << 20
    /// Slow or idle clients: the head must arrive within `headerTimeout` of its first byte, the
    /// body within `bodyTimeout` of the head; a connection between requests is closed after
    /// `idleTimeout`. At most `maxConnections` are open (0: no cap).
    public var headerTimeout: Duration? = .seconds(10)
    public var bodyTimeout: Duration? = .seconds(30)
    public var idleTimeout: Duration? = .seconds(60)
    public var maxConnections = 1024
    /// Session-history read or write per question.
    public var historyTimeout: Duration = .seconds(2)

    public init() {}
}
