/// One setting of `tonehost serve`: its name in the TOML file, its environment variable, its
/// default, and whether its value is a secret (masked in `config print` and logs).
public struct ConfigKey: Sendable {
    public let name: String
    public let defaultValue: String?
    public let secret: Bool
    /// Re-read on SIGHUP / POST /admin/reload; the others need a restart.
    public let reloadable: Bool
    public let help: String
    /// Extra environment names accepted after `TONEHOST_<NAME>` (e.g. LLM_MODEL_NAME).
    public let aliases: [String]

    public var environmentName: String { "TONEHOST_" + name.uppercased() }

    init(_ name: String, _ defaultValue: String?, secret: Bool = false, reloadable: Bool = false, aliases: [String] = [], _ help: String) {
        self.name = name
        self.defaultValue = defaultValue
        self.secret = secret
        self.reloadable = reloadable
        self.aliases = aliases
        self.help = help
    }

    /// Every key, in the order `config print` shows them.
    public static let all: [ConfigKey] = [
        .init("host", "0.0.0.0", "address to listen on"),
        .init("port", "5002", "port to listen on"),
        .init("db", nil, "SQLite store (knowledge base + sessions); default ~/.local/share/tonehost/tonehost.db"),
        .init("manifests", "plugin-manifests", reloadable: true, "manifest directory"),
        .init("plugin_path", nil, reloadable: true, "colon-separated folders searched for bare library names"),
        .init("strict_permissions", "true", reloadable: true, "refuse manifests and plugin libraries that are world-writable or in a world-writable folder"),
        .init("user_description_server", nil, reloadable: true, "URL of a description service; enables available/describer-vlm-client.toml"),
        .init("llm_model_name", nil, reloadable: true, aliases: ["LLM_MODEL_NAME"], "exported to manifests as LLM_MODEL_NAME"),
        .init("auto_init", "false", "open the knowledge base at start-up"),
        .init("log_level", "info", reloadable: true, "trace, debug, info, notice, warning, error, critical"),
        .init("log_file", nil, "log to this file (rotated by size) instead of stderr"),
        .init("log_max_bytes", "10485760", "rotate the log file at this size"),
        .init("log_keep", "5", "rotated log files kept (FILE.1 … FILE.N)"),
        .init("api_keys", nil, secret: true, reloadable: true, "comma-separated bearer tokens for /admin/*; none: admin is open"),
        .init("require_api_key", "false", reloadable: true, "also require one of api_keys on /api/* (clients send Authorization: Bearer)"),
        .init("cors_origins", "*", reloadable: true, "comma-separated origins allowed by CORS; * = any; empty = no CORS headers"),
        .init("rate_limit_per_ip", "0", reloadable: true, "requests a minute per client address to /api/*; 0 = unlimited"),
        .init("rate_limit_per_session", "0", reloadable: true, "questions a minute per session_id; 0 = unlimited"),
        .init("max_body_bytes", "1048576", "largest accepted request body"),
        .init("max_message_length", "4000", reloadable: true, "longest accepted question (text_user_msg, user_msg), in characters; convert-tone text may be 4 times as long"),
        .init("max_description_length", "2000", reloadable: true, "longest accepted user_description, in characters"),
        .init("max_session_id_length", "256", reloadable: true, "longest accepted session_id, in bytes (UTF-8)"),
        .init("max_image_bytes", "1048576", reloadable: true, "longest accepted image (base64 text), in bytes; max_body_bytes caps it too"),
        .init("header_timeout_ms", "10000", "a request's headers must arrive within this after its first byte"),
        .init("body_timeout_ms", "30000", "a request's body must arrive within this after its headers"),
        .init("idle_timeout_ms", "60000", "a connection with no request in progress is closed after this"),
        .init("max_connections", "1024", "open client connections at most; more wait in the listen backlog"),
        .init("history_timeout_ms", "2000", reloadable: true, "session-history read or write per question; past it the answer goes on without (read) or is not stored (write)"),
        .init("history_messages", "10", reloadable: true, "session history messages used per question"),
        .init("description_cache_seconds", "0", reloadable: true, "reuse a session's visitor description this long; 0 = ask the describer every time"),
        .init("describer_timeout_ms", "5000", reloadable: true, "describer (VLM) deadline; a manifest deadline_ms wins"),
        .init("selector_timeout_ms", "5000", reloadable: true, "tone selector deadline"),
        .init("retrieval_timeout_ms", "10000", reloadable: true, "retriever deadline"),
        .init("generation_timeout_ms", "0", reloadable: true, "LLM deadline; 0 = none"),
        .init("tone_timeout_ms", "30000", reloadable: true, "tone conversion deadline per call"),
        .init("request_timeout_ms", "300000", reloadable: true, "whole answer stream; 0 = none"),
        .init("shutdown_grace_seconds", "30", "SIGTERM: how long in-flight streams may take to finish"),
        .init("drain_delay_seconds", "0", "SIGTERM: seconds /readyz fails before the listener closes (load balancers)"),
    ]

    public static func named(_ name: String) -> ConfigKey? { all.first { $0.name == name } }

    /// Whether a setting's *name* marks it as secret (logs and printing mask such values).
    public static func looksSecret(_ name: String) -> Bool {
        let n = name.lowercased()
        return ["key", "token", "secret", "password", "authorization", "cookie"].contains { n.contains($0) }
    }
}
