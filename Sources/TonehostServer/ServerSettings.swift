import TonehostConfig

/// What `tonehost serve` is configured with (flags, environment, config file, defaults).
/// `init(config:)` is the one place the settings table becomes these fields.
public struct ServerSettings: Sendable {
    public var host: String
    public var port: Int
    /// Request bodies above this size get 413.
    public var maxBodyBytes: Int
    /// Longest accepted question / text, in characters.
    public var maxMessageLength: Int
    /// Messages of history (user + assistant) handed to the pipeline.
    public var historyMessages: Int
    /// Bearer tokens accepted by /admin/* (and by /api/* when `requireAPIKey`); empty: open.
    public var apiKeys: [String]
    /// Whether /api/* also needs one of `apiKeys`.
    public var requireAPIKey: Bool
    /// Origins allowed by CORS; ["*"]: any; []: no CORS headers.
    public var corsOrigins: [String]
    /// Requests a minute per client address to /api/*; 0: unlimited.
    public var rateLimitPerIP: Int
    /// Questions a minute per session_id; 0: unlimited.
    public var rateLimitPerSession: Int
    /// The whole answer stream; past it the stream ends with `ERROR: request timed out`.
    public var requestTimeout: Duration?
    /// Longest accepted user_description (characters), session_id (UTF-8 bytes), image (bytes).
    public var maxDescriptionLength: Int
    public var maxSessionIDLength: Int
    public var maxImageBytes: Int
    /// Slow or idle clients: the head must arrive within `headerTimeout` of its first byte, the
    /// body within `bodyTimeout` of the head; a connection between requests is closed after
    /// `idleTimeout`. At most `maxConnections` are open (0: no cap).
    public var headerTimeout: Duration?
    public var bodyTimeout: Duration?
    public var idleTimeout: Duration?
    public var maxConnections: Int
    /// Session-history read or write per question (0 configured: the 2 s default).
    public var historyTimeout: Duration
    /// One access-log line per request.
    public var accessLog: Bool
    /// Spans exported as log lines (`LogTracer`), bootstrapped at start.
    public var traceLog: Bool
    /// The kiosk page's folder; nil: the bundled one.
    public var webRoot: String?
    /// PEM files of the HTTPS listener (both set: TLS), and the plain-HTTP redirect port (0: none).
    public var tlsCertificate: String?
    public var tlsPrivateKey: String?
    public var httpRedirectPort: Int

    public init(config c: DaemonConfig) {
        host = c[\.host] ?? Settings.table.host.info.defaultValue!
        port = c[\.port]
        maxBodyBytes = c[\.maxBodyBytes]
        maxMessageLength = c[\.maxMessageLength]
        historyMessages = c[\.historyMessages]
        apiKeys = c[\.apiKeys]
        requireAPIKey = c[\.requireAPIKey]
        corsOrigins = c[\.corsOrigins]
        rateLimitPerIP = c[\.rateLimitPerIP]
        rateLimitPerSession = c[\.rateLimitPerSession]
        requestTimeout = c[\.requestTimeoutMs]
        maxDescriptionLength = c[\.maxDescriptionLength]
        maxSessionIDLength = c[\.maxSessionIDLength]
        maxImageBytes = c[\.maxImageBytes]
        headerTimeout = c[\.headerTimeoutMs]
        bodyTimeout = c[\.bodyTimeoutMs]
        idleTimeout = c[\.idleTimeoutMs]
        maxConnections = c[\.maxConnections]
        historyTimeout = c[\.historyTimeoutMs] ?? DaemonConfig.defaults[\.historyTimeoutMs]!
        accessLog = c[\.accessLog]
        traceLog = c[\.traceLog]
        webRoot = c[\.webRoot]
        tlsCertificate = c[\.tlsCertificate]
        tlsPrivateKey = c[\.tlsPrivateKey]
        httpRedirectPort = c[\.httpRedirectPort]
    }

    /// The defaults of the settings table, decoded once (request contexts start from them).
    public static let defaults = ServerSettings(config: .defaults)

    /// The defaults of the settings table.
    public init() { self = Self.defaults }
}
