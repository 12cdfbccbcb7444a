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
        router.get("health") { _, _ in DescriberHealthResponse(describer: describer.name) }
        router.get("visual-context/:sessionid") { _, context in
            let id = try context.parameters.require("sessionid")
            let text = await describe(id)
            sessions.record(id, hasContext: !text.isEmpty)
            return VisualContextResponse(sessionID: id, visualContext: text.isEmpty ? nil : text)
        }
        router.get("sessions") { _, _ in
            SessionsResponse(activeSessions: sessions.all.map { .init(sessionID: $0.id, hasVisualContext: $0.hasContext) })
        }
        router.get("api/simulator/pool") { _, _ in
            let pool = (try? await describer.descriptionPool()) ?? nil
            return SimulatorPoolResponse(pool: pool, activeSessions: sessions.all.count)
        }
        router.get("api/get-user-description") { _, _ in
            UserDescriptionResponse(userDescription: await describe("default"))
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
