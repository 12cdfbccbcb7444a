import Foundation
import Logging
import SQLiteSupport
import SessionStore
import SessionStorePostgres
import TonehostConfig
import TonehostCore

/// Turns the effective configuration into the store path and the plugin loader (manifest
/// directory + the environment manifests expand); the settings and pipeline deadlines come from
/// `ServerSettings(config:)` and `PipelineSettings(config:)`. Used at start-up and by every reload.
public enum DaemonSetup {
    public static func databasePath(_ c: DaemonConfig) -> String {
        c[\.db] ?? StorePath.defaultPath
    }

    /// The configured session store: the SQLite file (`session_store = "sqlite"`), or a
    /// PostgreSQL pool (also the shared rate limits and description cache). The PostgreSQL
    /// schema is migrated here when the server answers within 10 s; when it does not, the host
    /// starts anyway (answers go on without history, `/readyz` says why) and the first call
    /// that reaches the server migrates it.
    static func sessionStore(_ c: DaemonConfig, databasePath: String, logger: Logger) async throws
        -> (any SessionHistoryStore, PostgresSessionStore?) {
        let setting = c[\.sessionStore] ?? "sqlite"
        if setting == "sqlite" {
            return (try await PluginThreadPool.shared.run { try SessionStore(path: databasePath) }, nil)
        }
        guard PostgresStoreConfiguration.isPostgres(setting) else {
            throw PostgresStoreError.configuration("session_store: expected \"sqlite\" or postgres://user@host:port/database, found '\(setting.prefix(12))…'")
        }
        let configuration = try PostgresStoreConfiguration(
            url: setting, password: c[\.sessionStorePassword], passwordFile: c[\.sessionStorePasswordFile],
            poolSize: c[\.sessionStorePoolSize], statementTimeout: max(c[\.historyTimeoutMs] ?? .seconds(2), .milliseconds(500)))
        let store = try PostgresSessionStore(configuration, logger: logger)
        do {
            let version = try await store.migrate(deadline: .now + .seconds(10))
            logger.notice("session store ready", metadata: ["store": "\(store.label)", "schema": "\(version)"])
        } catch {
            logger.error("session store not reachable at start-up; answering without history until it is",
                         metadata: ["store": "\(store.label)", "error": "\(error)"])
        }
        return (store, store)
    }

    /// The environment manifests are expanded with: the process's, plus the settings that
    /// manifests reference (TONEHOST_DB, LLM_MODEL_NAME, TONEHOST_USER_DESCRIPTION_SERVER …).
    public static func manifestEnvironment(_ c: DaemonConfig, base: [String: String] = ProcessInfo.processInfo.environment) -> [String: String] {
        var env = base
        env["TONEHOST_DB"] = databasePath(c)
        if let v = c[\.llmModelName] { env["LLM_MODEL_NAME"] = v }
        if let v = c[\.userDescriptionServer] { env["TONEHOST_USER_DESCRIPTION_SERVER"] = v }
        if let v = c[\.pluginPath] { env["TONEHOST_PLUGIN_PATH"] = v }
        env["TONEHOST_STRICT_PERMISSIONS"] = c[\.strictPermissions] ? "true" : "false"
        env["TONEHOST_HYBRID_LEXICAL_WEIGHT"] = String(c[\.hybridLexicalWeight])
        env["TONEHOST_HYBRID_VECTOR_WEIGHT"] = String(c[\.hybridVectorWeight])
        env["TONEHOST_HYBRID_RRF_K"] = String(c[\.hybridRrfK])
        return env
    }

    public static func manifestDirectory(_ c: DaemonConfig) -> String {
        c[\.manifests] ?? Settings.table.manifests.info.defaultValue!
    }

    /// The loader for the configured manifest set. `user_description_server` adds
    /// `available/describer-vlm-client.toml` (it must exist).
    public static func loader(_ c: DaemonConfig, logger: Logger) throws -> PluginLoader {
        let dir = manifestDirectory(c)
        var extra: [String] = []
        if c[\.userDescriptionServer] != nil {
            let manifest = (dir as NSString).appendingPathComponent("available/describer-vlm-client.toml")
            guard FileManager.default.fileExists(atPath: manifest) else {
                throw ConfigError("user_description_server needs \(manifest)")
            }
            extra.append(manifest)
        }
        return PluginLoader(directory: dir, environment: manifestEnvironment(c), logger: logger, additionalManifests: extra)
    }
}
