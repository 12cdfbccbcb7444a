import Foundation
import Hummingbird
import Logging
import TonehostCore

/// Probes, metrics and admin: `/livez`, `/readyz`, `/metrics`, `GET /admin/plugins`,
/// `POST /admin/reload`.
struct OperationsRoutes {
    let runtime: HostRuntime
    let reloader: Reloader?
    /// This host's knowledge-base content, shown so a lagging host among several stands out.
    var knowledgeBase: KnowledgeBaseGeneration? = nil

    /// `admin` is the `/admin` group (with `AdminAccessMiddleware`).
    func register(on router: Router<TonehostRequestContext>, admin: RouterGroup<TonehostRequestContext>) {
        // Alive as long as the process answers.
        router.get("livez") { _, _ in LivenessResponse() }
        router.get("readyz") { _, _ in await readiness() }
        router.get("metrics") { _, _ in
            if let kb = knowledgeBase { _ = try? await runtime.blocking { kb.current() } }
            return Response(status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                     body: .init(byteBuffer: ByteBuffer(string: TonehostMetrics.shared.exposition())))
        }
        admin.get("plugins") { _, _ in
            guard let generation = runtime.generation else { throw APIError(.serviceUnavailable, "starting: plugins are loading") }
            return PluginList(generation: generation.number, plugins: PluginStatusRow.rows(generation.report))
        }
        admin.post("reload") { _, _ in
            guard let reloader else { throw APIError(.notImplemented, "reload is not available") }
            let outcome = await reloader.reload(trigger: "POST /admin/reload")
            return EditedResponse(status: outcome.ok ? .ok : .conflict, response: ReloadResponse(outcome))
        }
    }

    /// Ready: plugins loaded, the store answers, not draining. 503 with the reason otherwise.
    private func readiness() async -> EditedResponse<ReadinessResponse> {
        let phase = runtime.readiness.phase
        guard phase == .ready, let generation = runtime.generation else {
            let reason = phase == .draining ? "draining: shutting down" : "starting: plugins are loading"
            return EditedResponse(status: .serviceUnavailable, response: .unavailable(phase.rawValue, reason))
        }
        let runtime = self.runtime
        // Answers within a second whatever the store does: a store that does not answer the
        // probe in time, or whose latest use by a request failed, is `store_unavailable`.
        var storeProblem: String?
        do {
            try await runtime.sessions.probe(deadline: .now + .milliseconds(800))
        } catch {
            storeProblem = "\(error)"
        }
        // A failure is reported for 30 s after it (or until a request's store call succeeds), so
        // a host the load balancer took out of rotation comes back once the store recovers.
        if storeProblem == nil, let failure = runtime.history.failure, Date().timeIntervalSince(failure.at) < 30 {
            storeProblem = "\(failure.reason) (at \(Int(failure.at.timeIntervalSince1970)))"
        }
        let store = StoreStatus(runtime.sessions, problem: storeProblem)
        let kb = self.knowledgeBase
        let knowledgeBase = kb == nil ? nil : try? await runtime.blocking { kb?.current() }
        if let storeProblem {
            // A host's own store failing takes the host out of rotation. A shared store failing
            // fails every host at once: they stay in rotation and answer without history, and
            // say so here ("degraded"), rather than turning a history outage into a full one.
            guard runtime.sessions.isShared else {
                return EditedResponse(status: .serviceUnavailable, response: .unavailable("store_unavailable", storeProblem, store: store))
            }
            return EditedResponse(response: .degraded(generation: generation.number, reason: "store_unavailable: \(storeProblem)", store: store,
                                                                 knowledgeBase: knowledgeBase ?? nil))
        }
        // Still ready (the other plugins answer, a failing tone degrades to unconverted text),
        // but an isolated plugin that kept crashing is named.
        return EditedResponse(response: .ready(generation: generation.number, failed: PluginCrashes.failed, store: store,
                                               knowledgeBase: knowledgeBase ?? nil))
    }
}
