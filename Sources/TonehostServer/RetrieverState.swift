import Foundation
import Logging
import TonehostCore

/// `rag_initialized`: whether the active retriever was initialised (through its
/// TONEHOST_EXT_RETRIEVER_ADMIN extension: `auto_init` at start-up, `POST /api/rag-llm/init`,
/// and again for the new retriever of a reload). The server never opens the knowledge base
/// itself, so this stays true whichever retriever serves it (SQLite, Chroma …).
final class RetrieverState: @unchecked Sendable {
    private struct State {
        var initialized = false
        /// auto_init is configured and has not run yet (start-up): `/health` waits for it.
        var autoInitPending = false
    }
    private let state = Locked(State())

    var initialized: Bool { state.value.initialized }
    var autoInitPending: Bool { state.value.autoInitPending }

    func expectAutoInit() { state.mutate { $0.autoInitPending = true } }

    /// Initialises `retriever`; the flag follows the outcome.
    @discardableResult
    func initialize(_ retriever: PluginInstance, logger: Logger) async -> (ready: Bool, message: String) {
        let outcome = await retriever.retrieverAdmin(initialize: true)
        state.mutate {
            $0.initialized = outcome.ready
            $0.autoInitPending = false
        }
        if outcome.ready {
            logger.info("knowledge base initialised", metadata: ["retriever": "\(retriever.name)", "status": "\(outcome.message)"])
        } else {
            logger.error("knowledge base initialisation failed", metadata: ["retriever": "\(retriever.name)", "error": "\(outcome.message)"])
        }
        return outcome
    }
}
