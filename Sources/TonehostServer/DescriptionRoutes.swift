import Foundation
import Hummingbird
import TonehostCore

/// The description (vision) service contract (MISSION §5), served from the configured
/// describer plugin — the random simulator by default, or a real VLM client.
struct DescriptionRoutes {
    let describer: PluginInstance
    let deadline: Duration
    let sessions = SeenSessions()

    func register(on router: Router<TonehostRequestContext>) {
        router.get("health") { _, _ in
            jsonResponse(["status": "healthy", "describer": describer.name, "timestamp": Date().timeIntervalSince1970])
        }
        router.get("visual-context/:sessionid") { _, context in
            let id = try context.parameters.require("sessionid")
            let text = await describe(id)
            sessions.record(id, hasContext: !text.isEmpty)
            return jsonResponse(["sessionid": id, "visual_context": text.isEmpty ? NSNull() as Any : text as Any, "available": !text.isEmpty])
        }
        router.get("sessions") { _, _ in
            let all = sessions.all
            return jsonResponse(["active_sessions": all.map { ["sessionid": $0.id, "vision_enabled": true, "has_visual_context": $0.hasContext] },
                                 "total_sessions": all.count])
        }
        router.get("api/simulator/pool") { _, _ in
            let pool = (try? await describer.descriptionPool()) ?? nil
            return jsonResponse(["success": pool != nil, "pool_size": pool?.count ?? 0, "pool": pool ?? [],
                                 "active_sessions": sessions.all.count, "timestamp": Date().timeIntervalSince1970])
        }
        router.get("api/get-user-description") { _, _ in
            let text = await describe("default")
            return jsonResponse(["success": !text.isEmpty, "user_description": text, "timestamp": Date().timeIntervalSince1970])
        }
    }

    private func describe(_ session: String) async -> String {
        do {
            return try await describer.describe(sessionID: session, deadline: deadline).trimmingCharacters(in: .whitespacesAndNewlines)
        } catch {
            return ""
        }
    }

    final class SeenSessions: @unchecked Sendable {
        struct Entry { var id: String; var hasContext: Bool }
        private let lock = NSLock()
        private var entries: [String: Entry] = [:]
        func record(_ id: String, hasContext: Bool) {
            lock.lock()
            entries[id] = Entry(id: id, hasContext: hasContext)
            lock.unlock()
        }
        var all: [Entry] {
            lock.lock()
            defer { lock.unlock() }
            return entries.values.sorted { $0.id < $1.id }
        }
    }
}
