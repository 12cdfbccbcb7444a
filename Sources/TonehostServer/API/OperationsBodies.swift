import Foundation
import Hummingbird
import SessionStore
import TonehostCore

// Probes and admin: `/livez`, `/readyz`, `GET /admin/plugins`, `POST /admin/reload`.

/// `GET /livez`: alive as long as the process answers.
struct LivenessResponse: ResponseEncodable {
    var status = "alive"
}

/// `GET /readyz`: `ready` with the plugin generation (and any isolated plugin given up on),
/// or 503 with the phase or `store_unavailable` and the reason.
struct ReadinessResponse: ResponseEncodable {
    var status: String
    var reason: String?
    var generation: Int?
    /// Isolated plugins that kept crashing, by name → reason; only when there are any.
    var pluginsFailed: [String: String]?
    /// The session store this host uses and whether it answers (once plugins are loaded).
    var sessionStore: StoreStatus?
    /// This host's knowledge-base content (generation fingerprint, documents, passages).
    var knowledgeBase: KnowledgeBaseGeneration.Snapshot?

    static func ready(generation: Int, failed: [String: String], store: StoreStatus? = nil,
                      knowledgeBase: KnowledgeBaseGeneration.Snapshot? = nil) -> ReadinessResponse {
        ReadinessResponse(status: "ready", generation: generation, pluginsFailed: failed.isEmpty ? nil : failed, sessionStore: store,
                          knowledgeBase: knowledgeBase)
    }

    /// Serving, but without something shared (answers go on without history).
    static func degraded(generation: Int, reason: String, store: StoreStatus,
                         knowledgeBase: KnowledgeBaseGeneration.Snapshot? = nil) -> ReadinessResponse {
        ReadinessResponse(status: "degraded", reason: reason, generation: generation, sessionStore: store, knowledgeBase: knowledgeBase)
    }

    static func unavailable(_ status: String, _ reason: String, store: StoreStatus? = nil) -> ReadinessResponse {
        ReadinessResponse(status: status, reason: reason, sessionStore: store)
    }
}

/// `/readyz`'s view of the session store: which one (no credentials) and whether it answers.
struct StoreStatus: Encodable {
    var store: String
    var shared: Bool
    var available: Bool

    init(_ store: any SessionHistoryStore, problem: String?) {
        self.store = store.label
        shared = store.isShared
        available = problem == nil
    }
}

/// `GET /admin/plugins`.
struct PluginList: ResponseEncodable {
    var generation: Int
    var plugins: [PluginStatusRow]
}

/// `POST /admin/reload`: what the reload loaded and what failed (200 when it swapped, 409 when not).
struct ReloadResponse: ResponseEncodable {
    struct Loaded: Encodable {
        var file: String
        var name: String
        var role: String
        var state: String
        /// Why a standby plugin is not the one chosen for its role.
        var reason: String?
    }

    struct Failed: Encodable {
        var file: String
        var reason: String
    }

    var ok: Bool
    var generation: Int
    var loaded: [Loaded] = []
    var failed: [Failed] = []
    var errors: [String]
    var conflicts: [String]
    var warnings: [String]
    var restartRequired: [String]

    init(_ outcome: Reloader.Outcome) {
        ok = outcome.ok
        generation = outcome.generation
        errors = outcome.errors
        conflicts = outcome.report?.conflicts ?? []
        warnings = outcome.report?.warnings ?? []
        restartRequired = outcome.restartRequired
        for e in outcome.report?.entries ?? [] {
            let name = e.manifest?.name ?? "", role = e.role?.description ?? ""
            switch e.state {
            case .active: loaded.append(Loaded(file: e.file, name: name, role: role, state: "active"))
            case .standby(let reason): loaded.append(Loaded(file: e.file, name: name, role: role, state: "standby", reason: reason))
            case .failed(let error): failed.append(Failed(file: e.file, reason: error.reason))
            }
        }
    }
}
