import Foundation
import Hummingbird
import SessionStore
import TonehostCore

/// Session history endpoints. A session id in the URL is percent-decoded, so every id a client
/// can create in a JSON body (spaces, `/`, `%`, 中文) can be read and cleared at
/// `/sessions/<percent-encoded id>/history`.
struct SessionRoutes {
    let runtime: HostRuntime

    /// `api` is the `/api/rag-llm` group (with the API's access policy).
    func register(on api: RouterGroup<TonehostRequestContext>) {
        api.get("sessions/:id/history") { _, context in
            let id = try sessionID(context)
            let history = try await store(SessionHistory.readPool) { try runtime.sessions.history(id) }
            return jsonResponse(["session_id": id, "history": history.map { ["role": $0.role, "content": $0.content] },
                                 "message_count": history.count])
        }
        api.delete("sessions/:id/history") { _, context in
            let id = try sessionID(context)
            let deadline = ContinuousClock.now + runtime.settings.historyTimeout
            let cleared = try await store(SessionHistory.writePool) { try runtime.sessions.clear(id, deadline: deadline) }
            return jsonResponse(["session_id": id, "message": "History cleared", "messages_cleared": cleared])
        }
        api.post("close") { request, context in
            let body = try await JSONBody.read(request, context: context)
            let id = try body.requiredString("session_id", maxBytes: runtime.settings.maxSessionIDLength)
            DescriptionCache.shared.forget(id)  // the visitor left
            let deadline = ContinuousClock.now + runtime.settings.historyTimeout
            let cleared = try await store(SessionHistory.writePool) { try runtime.sessions.clear(id, deadline: deadline) }
            return jsonResponse(["success": true, "session_id": id,
                                 "message": cleared > 0 ? "Session closed" : "Session closed (it had no history)",
                                 "session_existed": cleared > 0, "messages_cleared": cleared,
                                 "timestamp": Date().timeIntervalSince1970])
        }
    }

    /// The `:id` path component, percent-decoded and within the configured length.
    private func sessionID(_ context: TonehostRequestContext) throws -> String {
        let raw = try context.parameters.require("id")
        guard let id = raw.removingPercentEncoding else {
            throw APIError(.badRequest, "the session id in the URL is not valid percent-encoded UTF-8")
        }
        let limit = runtime.settings.maxSessionIDLength
        guard id.utf8.count <= limit else {
            throw APIError(.badRequest, "'session_id' is \(id.utf8.count) bytes; the limit is \(limit)")
        }
        return id
    }

    /// Store work within the history deadline; a store that fails or does not answer is 503.
    private func store<T: Sendable>(_ pool: PluginThreadPool, _ body: @escaping @Sendable () throws -> T) async throws -> T {
        do {
            let value = try await withDeadline(runtime.settings.historyTimeout + .milliseconds(250), on: pool, body)
            runtime.history.succeeded()
            return value
        } catch {
            runtime.history.failed("\(error)")
            runtime.logger.error("session store unavailable", metadata: ["error": "\(error)"])
            throw APIError(.serviceUnavailable, "the session store is unavailable; try again later")
        }
    }
}
