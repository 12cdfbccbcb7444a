import Foundation
import KnowledgeStore
import Logging
import TonehostConfig
import TonehostCore

/// Turns the effective configuration into what the server runs with: settings, pipeline
/// deadlines, and the plugin loader (manifest directory + the environment manifests expand).
/// Used at start-up and again by every reload.
public enum DaemonSetup {
    public static func databasePath(_ c: DaemonConfig) -> String {
        c.string("db") ?? KnowledgeStore.defaultPath
    }

    public static func serverSettings(_ c: DaemonConfig) -> ServerSettings {
        var s = ServerSettings()
        s.host = c.string("host") ?? s.host
        s.port = c.int("port")
        s.maxBodyBytes = c.int("max_body_bytes")
        s.maxMessageLength = c.int("max_message_length")
        s.historyMessages = c.int("history_messages")
        s.apiKeys = c.apiKeys
        s.requireAPIKey = c.bool("require_api_key")
        s.corsOrigins = (c.string("cors_origins") ?? "").split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        s.rateLimitPerIP = c.int("rate_limit_per_ip")
        s.rateLimitPerSession = c.int("rate_limit_per_session")
        s.requestTimeout = c.milliseconds("request_timeout_ms")
        s.maxDescriptionLength = c.int("max_description_length")
        s.maxSessionIDLength = c.int("max_session_id_length")
        s.maxImageBytes = c.int("max_image_bytes")
        s.headerTimeout = c.milliseconds("header_timeout_ms")
        s.bodyTimeout = c.milliseconds("body_timeout_ms")
        s.idleTimeout = c.milliseconds("idle_timeout_ms")
        s.maxConnections = c.int("max_connections")
        s.historyTimeout = c.milliseconds("history_timeout_ms") ?? s.historyTimeout
        return s
    }

    /// Pipeline deadlines; a plugin manifest's `deadline_ms` still wins over these.
    public static func pipelineSettings(_ c: DaemonConfig) -> PipelineSettings {
        var p = PipelineSettings()
        p.describerDeadline = c.milliseconds("describer_timeout_ms") ?? p.describerDeadline
        p.selectorDeadline = c.milliseconds("selector_timeout_ms") ?? p.selectorDeadline
        p.retrievalDeadline = c.milliseconds("retrieval_timeout_ms")
        p.generationDeadline = c.milliseconds("generation_timeout_ms")
        p.toneDeadline = c.milliseconds("tone_timeout_ms")
        let cacheSeconds = c.int("description_cache_seconds")
        p.descriptionCacheTTL = cacheSeconds > 0 ? .seconds(cacheSeconds) : nil
        return p
    }

    /// The environment manifests are expanded with: the process's, plus the settings that
    /// manifests reference (TONEHOST_DB, LLM_MODEL_NAME, TONEHOST_USER_DESCRIPTION_SERVER …).
    public static func manifestEnvironment(_ c: DaemonConfig, base: [String: String] = ProcessInfo.processInfo.environment) -> [String: String] {
        var env = base
        env["TONEHOST_DB"] = databasePath(c)
        if let v = c.string("llm_model_name") { env["LLM_MODEL_NAME"] = v }
        if let v = c.string("user_description_server") { env["TONEHOST_USER_DESCRIPTION_SERVER"] = v }
        if let v = c.string("plugin_path") { env["TONEHOST_PLUGIN_PATH"] = v }
        env["TONEHOST_STRICT_PERMISSIONS"] = c.bool("strict_permissions") ? "true" : "false"
        return env
    }

    public static func manifestDirectory(_ c: DaemonConfig) -> String {
        c.string("manifests") ?? "plugin-manifests"
    }

    /// The loader for the configured manifest set. `user_description_server` adds
    /// `available/describer-vlm-client.toml` (it must exist).
    public static func loader(_ c: DaemonConfig, logger: Logger) throws -> PluginLoader {
        let dir = manifestDirectory(c)
        var extra: [String] = []
        if c.string("user_description_server") != nil {
            let manifest = (dir as NSString).appendingPathComponent("available/describer-vlm-client.toml")
            guard FileManager.default.fileExists(atPath: manifest) else {
                throw ConfigError("user_description_server needs \(manifest)")
            }
            extra.append(manifest)
        }
        return PluginLoader(directory: dir, environment: manifestEnvironment(c), logger: logger, additionalManifests: extra)
    }
}
