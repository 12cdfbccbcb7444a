import Foundation
import Logging
import SessionStore
import TonehostCore

/// What the routes share: the current plugin generation (swapped whole on reload, read once
/// per request), the pipeline, the settings, the session store and the readiness state.
/// Thread-safe.
public final class HostRuntime: @unchecked Sendable {
    /// What a reload swaps, read together.
    private struct Current {
        var generation: PluginGeneration?
        var pipeline: Pipeline
        var settings: ServerSettings
    }
    private let current: Locked<Current>
    /// Conversation history: SQLite (this host's file) or PostgreSQL (shared by every host).
    public let sessions: any SessionHistoryStore
    /// Rate-limit buckets and the description cache shared with other hosts (PostgreSQL); nil:
    /// this host keeps them in memory.
    public let shared: (any SharedSessionState)?
    public let logger: Logger
    public let readiness = Readiness()
    /// The request path's bounded use of `sessions`, and its latest failure (for `/readyz`).
    let history = SessionHistory()
    /// Session descriptions reused across questions; every pipeline installed here uses it.
    public let descriptionCache = DescriptionCache()
    /// `rag_initialized`, kept by the active retriever's initialisations.
    let retrieverState = RetrieverState()

    /// A runtime whose plugins are still loading (`install` them when ready).
    public init(pipeline: Pipeline, sessions: any SessionHistoryStore, shared: (any SharedSessionState)? = nil,
                settings: ServerSettings, logger: Logger) {
        var pipeline = pipeline
        pipeline.descriptionCache = descriptionCache
        current = Locked(Current(generation: nil, pipeline: pipeline, settings: settings))
        self.sessions = sessions
        self.shared = shared
        self.logger = logger
        if let shared { descriptionCache.shared = SharedDescriptions(shared, logger: logger) }
    }

    public convenience init(generation: PluginGeneration, pipeline: Pipeline, sessions: any SessionHistoryStore,
                            shared: (any SharedSessionState)? = nil, settings: ServerSettings, logger: Logger) {
        self.init(pipeline: pipeline, sessions: sessions, shared: shared, settings: settings, logger: logger)
        install(generation)
    }

    /// The generation a request works with, from start to end (nil while plugins load).
    public var generation: PluginGeneration? { current.value.generation }

    public var pipeline: Pipeline { current.value.pipeline }

    public var settings: ServerSettings { current.value.settings }

    /// The first generation: the server becomes ready.
    public func install(_ generation: PluginGeneration) {
        swap(to: generation)
        readiness.markReady()
    }

    /// Replaces the generation; requests in flight keep the one they took, and its plugin
    /// instances are destroyed when the last of them ends.
    public func swap(to generation: PluginGeneration) {
        PluginCrashes.clearFailed()  // the new generation's workers start afresh
        current.mutate { $0.generation = generation }
        TonehostMetrics.shared.generation.set(Double(generation.number))
        TonehostMetrics.shared.primeKnownSeries(tones: generation.toneCategories)
    }

    /// Applies reloadable settings (a reload re-read the config).
    public func update(pipeline: Pipeline, settings: ServerSettings) {
        var pipeline = pipeline
        pipeline.descriptionCache = descriptionCache
        current.mutate {
            $0.pipeline = pipeline
            $0.settings = settings
        }
    }

    /// The generation for a request: waits while the plugins are still loading (start-up),
    /// then 503 if there is none.
    func requireGeneration() async throws -> PluginGeneration {
        if let g = generation { return g }
        await readiness.waitWhileStarting(upTo: .seconds(120))
        guard let g = generation else { throw APIError(.serviceUnavailable, "tonehost is starting: plugins are not loaded yet") }
        return g
    }

    /// Runs blocking work (SQLite) on the host's plugin threads, off the cooperative pool.
    func blocking<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await PluginThreadPool.shared.run(body)
    }
}
