import Foundation

/// Every setting of `tonehost serve`, each declared once. The TOML keys, the `TONEHOST_*`
/// environment, the `serve` flags' names and help, `config print`, the README's configuration
/// table and the typed values the server reads (`config[\.port]`) all come from here.
///
/// Adding a setting is adding one property here (named as the key in lowerCamelCase; the order
/// is the order of `config print` and the README). A `flag: true` setting also needs its
/// `@Option` line in `ServeOptions` (ArgumentParser wants a stored property per option).
/// Help texts may use `code` spans (the README shows them; the terminal drops the backticks).
public struct SettingsTable: Sendable {
    // Listening and storage.
    public let host = Setting.string("host", default: "0.0.0.0", flag: true, "address to listen on")
    public let port = Setting.int("port", 0...65535, default: 5002, flag: true, "port to listen on")
    public let tlsCertificate = Setting.string("tls_certificate",
        "PEM certificate chain; with `tls_private_key` the API speaks HTTPS only (both re-read on SIGHUP)")
    public let tlsPrivateKey = Setting.string("tls_private_key", "PEM private key of `tls_certificate`")
    public let httpRedirectPort = Setting.int("http_redirect_port", 0...65535, default: 0,
        "with TLS: a plain-HTTP listener on this port answering 308 to the same URL over HTTPS; 0: none")
    public let db = Setting.string("db", unset: "~/.local/share/tonehost/tonehost.db", flag: true,
        "the store (knowledge base + sessions); exported to manifests as `TONEHOST_DB`")

    // The shared session store (several hosts).
    public let sessionStore = Setting.string("session_store", default: "sqlite", secret: true,
        "where history, per-session rate limits and the description cache live: `sqlite` (the `db` file, this host's) or `postgres://user@host:5432/database[?sslmode=disable|prefer|require&sslrootcert=FILE]` (shared by every host; see Running several hosts)")
    public let sessionStorePassword = Setting.string("session_store_password", secret: true,
        "the PostgreSQL password (else the URL's, or `session_store_password_file`); best given as `TONEHOST_SESSION_STORE_PASSWORD`")
    public let sessionStorePasswordFile = Setting.string("session_store_password_file",
        "a file holding the PostgreSQL password (a Kubernetes/systemd credential), read at start-up")
    public let sessionStorePoolSize = Setting.int("session_store_pool_size", 1...1000, default: 10,
        "PostgreSQL connections per host at most; a request waits for one within `history_timeout_ms`. Size: hosts × this ≤ the server's `max_connections` minus a reserve")

    // Plugins.
    public let manifests = Setting.string("manifests", default: "plugin-manifests", reloadable: true, flag: true, "the active manifest set (a directory)")
    public let pluginPath = Setting.string("plugin_path", reloadable: true,
        "colon-separated folders searched for bare library names; exported to manifests as `TONEHOST_PLUGIN_PATH`")
    public let strictPermissions = Setting.bool("strict_permissions", default: true, reloadable: true,
        "refuse manifests and plugin libraries that are world-writable or in a world-writable folder")
    public let userDescriptionServer = Setting.string("user_description_server", reloadable: true, flag: true,
        "URL of a description service (`tonehost describe-server` or a VLM behind the same contract); enables `available/describer-vlm-client.toml` pointed at it")
    public let llmModelName = Setting.string("llm_model_name", reloadable: true, aliases: ["LLM_MODEL_NAME"],
        "exported to manifests as `LLM_MODEL_NAME`")
    public let autoInit = Setting.bool("auto_init", default: false, flag: true, "open / seed the knowledge base at start-up (ingest the sample when it is empty)")

    // Retrieval.
    public let knowledgeLanguage = Setting.choice("knowledge_language", ["none", "en", "zh-tw"], default: "none", reloadable: true,
        "the knowledge base's language: a question in the other language is also translated into it by the `rewrite` llm (when one is configured) and both are retrieved and fused; `none`: retrieve as asked")
    public let hybridLexicalWeight = Setting.int("hybrid_lexical_weight", 0...1000, default: 100, reloadable: true,
        "hybrid ranking (with an embedder): weight of the BM25 ranking in the reciprocal rank fusion, in percent; exported to manifests as `TONEHOST_HYBRID_LEXICAL_WEIGHT`")
    public let hybridVectorWeight = Setting.int("hybrid_vector_weight", 0...1000, default: 100, reloadable: true,
        "hybrid ranking: weight of the vector-similarity ranking, in percent; exported to manifests as `TONEHOST_HYBRID_VECTOR_WEIGHT`")
    public let hybridRrfK = Setting.int("hybrid_rrf_k", 1...10_000, default: 60, reloadable: true,
        "hybrid ranking: the k of reciprocal rank fusion, 1/(k + rank); exported to manifests as `TONEHOST_HYBRID_RRF_K`")

    // Logs.
    public let logLevel = Setting.choice("log_level", ["trace", "debug", "info", "notice", "warning", "error", "critical"],
                                         default: "info", reloadable: true, flag: true, "how much is logged (`--debug`: debug)")
    public let logFile = Setting.string("log_file", unset: "stderr", flag: true, "log to this file (rotated by size) instead of stderr")
    public let logMaxBytes = Setting.int("log_max_bytes", default: 10_485_760, flag: true, "rotate the log file at this many bytes")
    public let logKeep = Setting.int("log_keep", default: 5, flag: true, "rotated log files kept (`FILE.1` … `FILE.N`)")
    public let accessLog = Setting.bool("access_log", default: true, reloadable: true,
        "one logfmt line per request at info (method, route, status, bytes, duration, request id, tone; never the question)")
    public let traceLog = Setting.bool("trace_log", default: false,
        "export tracing spans (the request and each pipeline stage) as logfmt lines at info; W3C `traceparent` in and out")

    // Threads.
    public let executor = Setting.choice("executor", ["event-loops", "dispatch"], default: "event-loops",
        "where the host's Swift tasks run: `event-loops`, on the two I/O threads that read and write the sockets (a request is answered on its connection's thread, no hand-over between threads: ~25 % less CPU per answer); `dispatch`, Swift's default pool. Plugin calls that may block run on the host's own threads either way")

    // Access.
    public let apiKeys = Setting.list("api_keys", reloadable: true, secret: true,
        "bearer tokens; when set, `/admin/*` needs `Authorization: Bearer <key>`; none: admin is open")
    public let requireAPIKey = Setting.bool("require_api_key", default: false, reloadable: true,
        "`/api/*` also needs one of `api_keys` (clients send `Authorization: Bearer`)")
    public let corsOrigins = Setting.list("cors_origins", default: "*", reloadable: true,
        "origins allowed to call from a browser (others get 403 on every method); `*`: any; empty: none but the host's own")
    public let rateLimitPerIP = Setting.int("rate_limit_per_ip", default: 0, reloadable: true,
        "requests a minute per client address to `/api/*` (429 beyond); 0: unlimited")
    public let rateLimitPerSession = Setting.int("rate_limit_per_session", default: 0, reloadable: true,
        "questions a minute per `session_id` (429 beyond); 0: unlimited")

    public let webRoot = Setting.string("web_root", unset: "the bundled page",
        "folder with the kiosk page served at `/` (`index.html`, `kiosk.js`, `kiosk.css`)")

    // Input limits.
    public let maxBodyBytes = Setting.int("max_body_bytes", default: 1_048_576, flag: true, "largest accepted request body, in bytes (413 beyond)")
    public let maxMessageLength = Setting.int("max_message_length", default: 4000, reloadable: true, flag: true,
        "longest accepted question (`text_user_msg`, `user_msg`), in characters; convert-tone text may be 4 times as long")
    public let maxDescriptionLength = Setting.int("max_description_length", default: 2000, reloadable: true,
        "longest accepted `user_description`, in characters (longer: 400 naming the field)")
    public let maxSessionIDLength = Setting.int("max_session_id_length", default: 256, reloadable: true,
        "longest accepted `session_id`, in bytes (UTF-8)")
    public let maxImageBytes = Setting.int("max_image_bytes", default: 1_048_576, reloadable: true,
        "longest accepted `image` (base64 text), in bytes; `max_body_bytes` caps it too")

    // Slow clients.
    public let headerTimeoutMs = Setting.milliseconds("header_timeout_ms", default: 10_000,
        "a request's head must arrive within this of its first byte; 0: no limit")
    public let bodyTimeoutMs = Setting.milliseconds("body_timeout_ms", default: 30_000,
        "a request's body must arrive within this of its head; 0: no limit")
    public let idleTimeoutMs = Setting.milliseconds("idle_timeout_ms", default: 60_000,
        "a connection with no request in progress is closed after this; 0: no limit")
    public let maxConnections = Setting.int("max_connections", default: 1024,
        "open client connections at most; more wait in the listen backlog; 0: no cap")

    // Sessions and the pipeline.
    public let historyTimeoutMs = Setting.milliseconds("history_timeout_ms", default: 2000, reloadable: true,
        "session-history read or write per question; past it the answer goes on without history (read) or is not stored (write); 0: the default")
    public let historyMessages = Setting.int("history_messages", default: 10, reloadable: true, flag: true, "messages of session history used per question")
    public let descriptionCacheSeconds = Setting.seconds("description_cache_seconds", default: 0, reloadable: true,
        "reuse a session's visitor description this long instead of asking the describer again (`close` forgets it); 0: ask every time")
    public let describerTimeoutMs = Setting.milliseconds("describer_timeout_ms", default: 5000, reloadable: true, flag: true,
        "describer (VLM) deadline; a manifest's `deadline_ms` wins; 0: the default")
    public let selectorTimeoutMs = Setting.milliseconds("selector_timeout_ms", default: 5000, reloadable: true, "tone selector deadline; 0: the default")
    public let retrievalTimeoutMs = Setting.milliseconds("retrieval_timeout_ms", default: 10_000, reloadable: true, "retriever deadline; 0: none")
    public let generationTimeoutMs = Setting.milliseconds("generation_timeout_ms", default: 0, reloadable: true, flag: true, "LLM deadline; 0: none")
    public let toneTimeoutMs = Setting.milliseconds("tone_timeout_ms", default: 30_000, reloadable: true, "tone conversion deadline per call; 0: none")
    public let requestTimeoutMs = Setting.milliseconds("request_timeout_ms", default: 300_000, reloadable: true, flag: true,
        "the whole answer; past it the stream ends `ERROR: request timed out` + `END_FLAG`; 0: none")

    // Shutdown.
    public let shutdownGraceSeconds = Setting.seconds("shutdown_grace_seconds", default: 30, flag: true,
        "SIGTERM: how long in-flight streams may take to finish")
    public let drainDelaySeconds = Setting.seconds("drain_delay_seconds", default: 0, flag: true,
        "SIGTERM: how long `/readyz` fails before the listener closes (load balancers)")

    public init() {}
}

/// The table, and its settings in declaration order.
public enum Settings {
    public static let table = SettingsTable()

    /// Every setting, in the order of the table (found by walking its stored properties, so a
    /// setting is never declared without being listed).
    public static let all: [SettingInfo] = Mirror(reflecting: table).children.map { child in
        guard let setting = child.value as? any AnySetting else { preconditionFailure("SettingsTable.\(child.label ?? "?") is not a Setting") }
        precondition(child.label.map(folded) == folded(setting.info.name),
                     "SettingsTable.\(child.label ?? "?") must be named after its key \(setting.info.name)")
        return setting.info
    }

    public static func named(_ name: String) -> SettingInfo? { all.first { $0.name == name } }

    /// A name without case or underscores: `log_max_bytes` and `logMaxBytes` are both
    /// `logmaxbytes` (so `requireAPIKey` matches `require_api_key`).
    public static func folded(_ name: String) -> String {
        name.replacingOccurrences(of: "_", with: "").lowercased()
    }
}
