import Foundation
import Hummingbird
import SessionStore
import TonehostCore

/// Session history endpoints.
struct SessionRoutes {
    let runtime: HostRuntime

    func register(on router: Router<TonehostRequestContext>) {
        let sessions = router.group("api/rag-llm/sessions")
        sessions.get(":id/history") { _, context in
            let id = try context.parameters.require("id")
            let history = try await runtime.blocking { try runtime.sessions.history(id) }
            return jsonResponse(["session_id": id, "history": history.map { ["role": $0.role, "content": $0.content] },
                                 "message_count": history.count])
        }
        sessions.delete(":id/history") { _, context in
            let id = try context.parameters.require("id")
            let cleared = try await runtime.blocking { try runtime.sessions.clear(id) }
            return jsonResponse(["session_id": id, "message": "History cleared", "messages_cleared": cleared])
        }
        router.post("api/rag-llm/close") { request, context in
            let body = try await JSONBody.read(request, context: context)
            let id = try body.requiredString("session_id")
            DescriptionCache.shared.forget(id)  // the visitor left
            let cleared = try await runtime.blocking { try runtime.sessions.clear(id) }
            return jsonResponse(["success": true, "session_id": id,
                                 "message": cleared > 0 ? "Session closed" : "Session closed (it had no history)",
                                 "session_existed": cleared > 0, "messages_cleared": cleared,
                                 "timestamp": Date().timeIntervalSince1970])
        }
    }
}
