import Foundation
import Logging
import SessionStore
import TonehostCore

/// What the routes share: the current plugin generation (swapped whole on reload, read once
/// per request), the pipeline, and the session history store. Thread-safe.
public final class HostRuntime: @unchecked Sendable {
    private let lock = NSLock()
    private var current: PluginGeneration
    public let pipeline: Pipeline
    public let sessions: SessionStore
    public let settings: ServerSettings
    public let logger: Logger

    public init(generation: PluginGeneration, pipeline: Pipeline, sessions: SessionStore, settings: ServerSettings, logger: Logger) {
        current = generation
        self.pipeline = pipeline
        self.sessions = sessions
        self.settings = settings
        self.logger = logger
    }

    /// The generation a request works with, from start to end.
    public var generation: PluginGeneration {
        lock.lock()
        defer { lock.unlock() }
        return current
    }

    /// Replaces the generation; requests in flight keep the one they took.
    public func swap(to generation: PluginGeneration) {
        lock.lock()
        current = generation
        lock.unlock()
    }

    /// Runs blocking work (SQLite) on the host's plugin threads, off the cooperative pool.
    func blocking<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await PluginThreadPool.shared.run(body)
    }
}
