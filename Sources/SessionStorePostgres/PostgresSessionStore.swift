import Foundation
import Logging
import PostgresNIO
import SessionStore
import TonehostTypes

/// Session history, rate-limit buckets and the description cache in one PostgreSQL database
/// that every host behind a load balancer shares, so a visitor's turns follow them from host to
/// host and a `close` on one host is seen by all.
///
/// Connections come from a bounded pool (`session_store_pool_size` per host). Every call has a
/// deadline that covers waiting for a pooled connection and the statement; the server also ends
/// any statement past `statement_timeout`. When a call finds the server unreachable, calls fail
/// at once for `unreachableBackoff` (the answer goes on without history) instead of each
/// waiting out its deadline; the next call after that tries again, so a host recovers by itself
/// when the database is back.
///
/// The schema is created by the first call (and re-tried until it succeeds); several hosts
/// starting at once against an empty database serialise on an advisory lock, so exactly one
/// creates each version and none fails.
///
/// Thread-safe; every method is async and blocks no thread.
public final class PostgresSessionStore: SessionHistoryStore, SharedSessionState, @unchecked Sendable {
    /// The schema, version by version; a new version is appended, never edited.
    static let migrations: [(version: Int, statements: [String])] = [
        (1, [
            """
            CREATE TABLE tonehost_session_messages(
                id BIGSERIAL PRIMARY KEY,
                session_id TEXT NOT NULL,
                role TEXT NOT NULL,
                content TEXT NOT NULL,
                created_at TIMESTAMPTZ NOT NULL DEFAULT now())
            """,
            "CREATE INDEX tonehost_session_messages_by_session ON tonehost_session_messages(session_id, id)",
            """
            CREATE TABLE tonehost_rate_buckets(
                key TEXT PRIMARY KEY,
                tokens DOUBLE PRECISION NOT NULL,
                allowed BOOLEAN NOT NULL,
                updated_at TIMESTAMPTZ NOT NULL)
            """,
            """
            CREATE TABLE tonehost_descriptions(
                session_id TEXT PRIMARY KEY,
                description TEXT NOT NULL,
                stored_at TIMESTAMPTZ NOT NULL)
            """,
        ]),
    ]
    /// `pg_advisory_xact_lock` key of the migration ("tonehost" in ASCII, as an integer).
    static let migrationLock: Int64 = 0x746F_6E65_686F_7374
    /// How long calls fail fast after one found the server unreachable.
    public static let unreachableBackoff: Duration = .milliseconds(1000)

    public let configuration: PostgresStoreConfiguration
    public var label: String { configuration.label }
    public var isShared: Bool { true }

    private let client: PostgresClient
    private let runTask: Task<Void, Never>
    private let logger: Logger
    private let state = Locked(State())

    private struct State {
        var schemaVersion = 0
        var unreachableUntil: ContinuousClock.Instant?
        var unreachableReason = ""
        var lastSuccess: ContinuousClock.Instant?
    }

    /// Starts the pool (no connection is opened until the first call).
    public init(_ configuration: PostgresStoreConfiguration, logger: Logger) throws {
        self.configuration = configuration
        var logger = logger
        logger[metadataKey: "store"] = "\(configuration.label)"
        self.logger = logger
        // The driver logs its connection chatter at debug/trace; the daemon's level filters it.
        // (Setting a level on this copy would set the daemon's: its handlers share one level.)
        let client = PostgresClient(configuration: try configuration.clientConfiguration(), backgroundLogger: logger)
        self.client = client
        runTask = Task { await client.run() }
    }

    deinit { runTask.cancel() }

    /// Closes the pool's connections.
    public func shutdown() { runTask.cancel() }

    // MARK: - History

    public func history(_ sessionID: String, limit: Int?, deadline: ContinuousClock.Instant) async throws -> [ChatMessage] {
        try await call("history read", deadline: deadline) { client in
            let limit = Int64(limit ?? Int(Int64.max))
            let rows = try await client.query("""
                SELECT role, content FROM (
                    SELECT id, role, content FROM tonehost_session_messages
                    WHERE session_id = \(sessionID) ORDER BY id DESC LIMIT \(limit)) AS recent
                ORDER BY id
                """)
            var out: [ChatMessage] = []
            for try await (role, content) in rows.decode((String, String).self) {
                out.append(ChatMessage(role: role, content: content))
            }
            return out
        }
    }

    public func append(_ sessionID: String, _ messages: [ChatMessage], deadline: ContinuousClock.Instant) async throws {
        guard !messages.isEmpty else { return }
        let roles = messages.map(\.role), contents = messages.map(\.content)
        try await call("history write", deadline: deadline) { client in
            // One statement: the turn is stored whole or not at all, in order.
            _ = try await client.query("""
                INSERT INTO tonehost_session_messages(session_id, role, content)
                SELECT \(sessionID), r, c FROM unnest(\(roles)::text[], \(contents)::text[]) WITH ORDINALITY AS t(r, c, n)
                ORDER BY n
                """)
        }
    }

    public func clear(_ sessionID: String, deadline: ContinuousClock.Instant) async throws -> Int {
        try await call("history clear", deadline: deadline) { client in
            let rows = try await client.query("""
                WITH gone AS (DELETE FROM tonehost_session_messages WHERE session_id = \(sessionID) RETURNING 1)
                SELECT count(*) FROM gone
                """)
            for try await count in rows.decode(Int64.self) { return Int(count) }
            return 0
        }
    }

    public func probe(deadline: ContinuousClock.Instant) async throws {
        try await call("probe", deadline: deadline) { client in
            for try await _ in try await client.query("SELECT max(version) FROM tonehost_schema").decode(Int32?.self) {}
        }
    }

    // MARK: - Shared rate limits and descriptions

    public func takeToken(_ key: String, perMinute: Int, deadline: ContinuousClock.Instant) async throws -> Double? {
        guard perMinute > 0 else { return nil }
        let capacity = Double(perMinute), rate = Double(perMinute) / 60
        return try await call("rate limit", deadline: deadline) { client in
            // One upsert per request: the row lock orders concurrent hosts, the refill is
            // computed from the server's clock (hosts' clocks do not matter).
            let rows = try await client.query("""
                INSERT INTO tonehost_rate_buckets AS b(key, tokens, allowed, updated_at)
                VALUES(\(key), \(capacity) - 1, true, clock_timestamp())
                ON CONFLICT (key) DO UPDATE SET
                    allowed = LEAST(\(capacity), b.tokens + EXTRACT(EPOCH FROM clock_timestamp() - b.updated_at) * \(rate)) >= 1,
                    tokens = LEAST(\(capacity), b.tokens + EXTRACT(EPOCH FROM clock_timestamp() - b.updated_at) * \(rate))
                             - CASE WHEN LEAST(\(capacity), b.tokens + EXTRACT(EPOCH FROM clock_timestamp() - b.updated_at) * \(rate)) >= 1
                                    THEN 1 ELSE 0 END,
                    updated_at = clock_timestamp()
                RETURNING allowed, tokens
                """)
            for try await (allowed, tokens) in rows.decode((Bool, Double).self) {
                return allowed ? nil : max(0.001, (1 - tokens) / rate)
            }
            return nil
        }
    }

    public func cachedDescription(_ sessionID: String, maxAge: Duration, deadline: ContinuousClock.Instant) async throws -> String? {
        let seconds = Double(maxAge.components.seconds) + Double(maxAge.components.attoseconds) / 1e18
        return try await call("description read", deadline: deadline) { client in
            let rows = try await client.query("""
                SELECT description FROM tonehost_descriptions
                WHERE session_id = \(sessionID) AND stored_at > clock_timestamp() - make_interval(secs => \(seconds))
                """)
            for try await text in rows.decode(String.self) { return text }
            return nil
        }
    }

    public func storeDescription(_ sessionID: String, _ description: String, deadline: ContinuousClock.Instant) async throws {
        try await call("description write", deadline: deadline) { client in
            _ = try await client.query("""
                INSERT INTO tonehost_descriptions(session_id, description, stored_at) VALUES(\(sessionID), \(description), clock_timestamp())
                ON CONFLICT (session_id) DO UPDATE SET description = excluded.description, stored_at = excluded.stored_at
                """)
        }
    }

    public func forgetDescription(_ sessionID: String, deadline: ContinuousClock.Instant) async throws {
        try await call("description delete", deadline: deadline) { client in
            _ = try await client.query("DELETE FROM tonehost_descriptions WHERE session_id = \(sessionID)")
        }
    }

    // MARK: - Schema

    /// Brings the schema to the newest version; safe when several hosts run it at once.
    /// Returns the version the database is at.
    @discardableResult
    public func migrate(deadline: ContinuousClock.Instant) async throws -> Int {
        try await call("schema migration", deadline: deadline, needsSchema: false) { client in try await self.migrate(client) }
    }

    private func migrate(_ client: PostgresClient) async throws -> Int {
        if state.value.schemaVersion > 0 { return state.value.schemaVersion }
        let logger = self.logger
        let version: Int = try await client.withTransaction(logger: logger) { connection in
            // Hosts starting together wait here for each other; the first creates, the rest find it done.
            try await connection.query("SELECT pg_advisory_xact_lock(\(Self.migrationLock))", logger: logger)
            try await connection.query("""
                CREATE TABLE IF NOT EXISTS tonehost_schema(version INTEGER PRIMARY KEY, applied_at TIMESTAMPTZ NOT NULL DEFAULT now())
                """, logger: logger)
            var current = 0
            for try await v in try await connection.query("SELECT coalesce(max(version), 0)::int8 FROM tonehost_schema", logger: logger)
                .decode(Int64.self) { current = Int(v) }
            for migration in Self.migrations where migration.version > current {
                for statement in migration.statements {
                    try await connection.query(PostgresQuery(unsafeSQL: statement), logger: logger)
                }
                try await connection.query("INSERT INTO tonehost_schema(version) VALUES(\(migration.version))", logger: logger)
                logger.notice("session store schema migrated", metadata: ["version": "\(migration.version)"])
                current = migration.version
            }
            return current
        }
        state.mutate { $0.schemaVersion = version }
        return version
    }

    // MARK: - Calls

    /// Runs `body` with the pool, failing with a reason by `deadline`. The caller stops waiting
    /// at the deadline even if the driver does not (a lease or a statement that is stuck ends
    /// on its own: the statement by `statement_timeout`).
    private func call<T: Sendable>(_ what: String, deadline: ContinuousClock.Instant, needsSchema: Bool = true,
                                   _ body: @escaping @Sendable (PostgresClient) async throws -> T) async throws -> T {
        let now = ContinuousClock.now
        if let until = state.value.unreachableUntil, now < until {
            throw PostgresStoreError.unavailable("\(label): \(state.value.unreachableReason) (retrying shortly)")
        }
        guard deadline > now else { throw PostgresStoreError.timeout("\(label): \(what): no time left") }
        let client = self.client
        let work = Task<T, Error> {
            if needsSchema { _ = try await self.migrate(client) }
            return try await body(client)
        }
        let race = DeadlineRace<T>()
        let timer = Task {
            try? await Task.sleep(until: deadline, clock: .continuous)
            if !Task.isCancelled {
                race.finish(.failure(PostgresStoreError.timeout(
                    "\(self.label): \(what) got no answer within \(PostgresStoreConfiguration.milliseconds(deadline - now)) ms")))
                work.cancel()
            }
        }
        Task {
            let result = await work.result
            timer.cancel()
            race.finish(result.mapError { self.describe($0, what) as any Error })
        }
        do {
            let value = try await race.value()
            state.mutate {
                $0.unreachableUntil = nil
                $0.lastSuccess = .now
            }
            return value
        } catch let error as PostgresStoreError {
            switch error {
            case .timeout:
                // A pool smaller than the load also times calls out, but then other calls succeed
                // meanwhile; nothing succeeding for as long as this call waited is an outage.
                if let last = state.value.lastSuccess, last > now { break }
                markUnreachable(error.description)
            case .failed(let m) where Self.isConnectionFailure(m):
                markUnreachable(m)
            default:
                break
            }
            throw error
        }
    }

    private func markUnreachable(_ reason: String) {
        state.mutate {
            $0.unreachableUntil = .now + Self.unreachableBackoff
            $0.unreachableReason = reason
        }
    }

    static func isConnectionFailure(_ message: String) -> Bool {
        ["connectionError", "serverClosedConnection", "uncleanShutdown", "clientClosedConnection", "poolClosed", "Connection refused"]
            .contains { message.contains($0) }
    }

    /// PostgresNIO's errors print a generic text on purpose (queries may hold data); this names
    /// the failure without the query's values.
    private func describe(_ error: Error, _ what: String) -> PostgresStoreError {
        if let e = error as? PostgresStoreError { return e }
        if let e = error as? PSQLError {
            var text = "\(label): \(what) failed: \(e.code)"
            if let message = e.serverInfo?[.message] { text += ": \(message)" }
            if let state = e.serverInfo?[.sqlState] { text += " (SQLSTATE \(state))" }
            if let underlying = e.underlying { text += ": \(underlying)" }
            return .failed(text)
        }
        if let e = error as? PostgresTransactionError {
            let inner = e.closureError ?? e.commitError ?? e.beginError ?? e.rollbackError
            return inner.map { describe($0, what) } ?? .failed("\(label): \(what) failed in a transaction")
        }
        if error is CancellationError { return .timeout("\(label): \(what) was cancelled") }
        return .failed("\(label): \(what) failed: \(error)")
    }
}

/// The first of a result and a deadline, delivered once to one waiter.
final class DeadlineRace<T: Sendable>: @unchecked Sendable {
    private let lock = NSLock()
    private var result: Result<T, Error>?
    private var waiter: CheckedContinuation<T, Error>?

    func finish(_ r: Result<T, Error>) {
        lock.lock()
        guard result == nil else { lock.unlock(); return }
        result = r
        let w = waiter
        waiter = nil
        lock.unlock()
        w?.resume(with: r)
    }

    func value() async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            lock.lock()
            if let result {
                lock.unlock()
                continuation.resume(with: result)
            } else {
                waiter = continuation
                lock.unlock()
            }
        }
    }
}
