import Foundation
import Hummingbird
import Logging

/// Probes, metrics and admin: `/livez`, `/readyz`, `/metrics`, `POST /admin/reload`.
struct OperationsRoutes {
    let runtime: HostRuntime
    let reloader: Reloader?

    func register(on router: Router<TonehostRequestContext>) {
        // Alive as long as the process answers.
        router.get("livez") { _, _ in jsonResponse(["status": "alive"]) }
        router.get("readyz") { _, _ in await readiness() }
        router.get("metrics") { _, _ in
            Response(status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                     body: .init(byteBuffer: ByteBuffer(string: TonehostMetrics.shared.exposition())))
        }
        router.post("admin/reload") { request, context in
            try authorize(request)
            guard let reloader else { throw APIError(.notImplemented, "reload is not available") }
            let outcome = await reloader.reload(trigger: "POST /admin/reload")
            return jsonResponse(status: outcome.ok ? .ok : .conflict, outcome.json)
        }
    }

    /// Ready: plugins loaded, the store answers, not draining. 503 with the reason otherwise.
    private func readiness() async -> Response {
        let phase = runtime.readiness.phase
        guard phase == .ready, let generation = runtime.generation else {
            let reason = phase == .draining ? "draining: shutting down" : "starting: plugins are loading"
            return jsonResponse(status: .serviceUnavailable, ["status": phase.rawValue, "reason": reason])
        }
        let runtime = self.runtime
        do {
            _ = try await runtime.blocking { try runtime.sessions.count("") }
        } catch {
            return jsonResponse(status: .serviceUnavailable, ["status": "store_unavailable", "reason": "\(error)"])
        }
        return jsonResponse(["status": "ready", "generation": generation.number])
    }

    /// With API keys configured, admin endpoints need `Authorization: Bearer <key>`.
    private func authorize(_ request: Request) throws {
        let keys = runtime.settings.apiKeys
        guard !keys.isEmpty else { return }
        let header = request.headers[.authorization] ?? ""
        let token = header.hasPrefix("Bearer ") ? String(header.dropFirst(7)).trimmingCharacters(in: .whitespaces) : ""
        guard !token.isEmpty, keys.contains(where: { constantTimeEqual($0, token) }) else {
            throw APIError(.unauthorized, "admin endpoints need 'Authorization: Bearer <api key>'")
        }
    }

    private func constantTimeEqual(_ a: String, _ b: String) -> Bool {
        let x = Array(a.utf8), y = Array(b.utf8)
        guard x.count == y.count else { return false }
        return zip(x, y).reduce(0) { $0 | ($1.0 ^ $1.1) } == 0
    }
}
