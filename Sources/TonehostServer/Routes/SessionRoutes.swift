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
            let history = try await store { deadline in try await runtime.sessions.history(id, limit: nil, deadline: deadline) }
            return HistoryResponse(sessionID: id, history: history)
        }
        api.delete("sessions/:id/history") { _, context in
            let id = try sessionID(context)
            let cleared = try await store { deadline in try await runtime.sessions.clear(id, deadline: deadline) }
            return HistoryClearedResponse(sessionID: id, messagesCleared: cleared)
        }
        api.post("close") { request, context in
            let id = try await request.decodeBody(CloseRequest.self, context: context, limits: RequestLimits(runtime.settings)).sessionID
            await runtime.descriptionCache.forgetEverywhere(id)  // the visitor left
            let cleared = try await store { deadline in try await runtime.sessions.clear(id, deadline: deadline) }
            return CloseResponse(sessionID: id, messagesCleared: cleared)
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
    private func store<T: Sendable>(_ body: (ContinuousClock.Instant) async throws -> T) async throws -> T {
        do {
            let value = try await body(.now + runtime.settings.historyTimeout)
            runtime.history.succeeded()
            return value
        } catch {
            runtime.history.failed("\(error)")
            runtime.logger.error("session store unavailable", metadata: ["error": "\(error)"])
            throw APIError(.serviceUnavailable, "the session store is unavailable; try again later")
        }
    }
}
