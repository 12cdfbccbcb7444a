import Foundation
import Logging
import Tracing

/// The built-in span exporter (`trace_log = true`, off by default): every finished span is one
/// logfmt line at info — `span=tonehost.retrieval trace=… id=… parent=… duration_ms=…` — so an
/// operator sees where a request's time went without running a tracing backend. The spans are
/// swift-distributed-tracing's: a process that bootstraps another tracer (OpenTelemetry…) gets
/// the same spans — the HTTP request (Hummingbird's TracingMiddleware) and each pipeline stage.
/// Trace ids travel in and out as W3C `traceparent` headers.
public final class LogTracer: Tracer, @unchecked Sendable {
    public typealias Span = LogSpan
    let logger: Logger

    public init(logger: Logger) { self.logger = logger }

    /// Installs it process-wide (once).
    public static func bootstrap(logger: Logger) {
        InstrumentationSystem.bootstrap(LogTracer(logger: logger))
    }

    /// A span's identity, carried in the service context.
    struct IDs: Sendable {
        let trace: String
        let span: String
    }
    enum IDsKey: ServiceContextKey { typealias Value = IDs }

    static func randomHex(_ bytes: Int) -> String {
        (0..<bytes).map { _ in String(format: "%02x", UInt8.random(in: 0...255)) }.joined()
    }

    public func startSpan<Instant: TracerInstant>(_ operationName: String, context: @autoclosure () -> ServiceContext,
                                                 ofKind kind: SpanKind, at instant: @autoclosure () -> Instant,
                                                 function: String, file fileID: String, line: UInt) -> LogSpan {
        var context = context()
        let parent = context[IDsKey.self]
        let ids = IDs(trace: parent?.trace ?? Self.randomHex(16), span: Self.randomHex(8))
        context[IDsKey.self] = ids
        return LogSpan(name: operationName, context: context, parent: parent?.span, started: instant().nanosecondsSinceEpoch, tracer: self)
    }

    public func forceFlush() {}

    public func extract<Carrier, Extract>(_ carrier: Carrier, into context: inout ServiceContext, using extractor: Extract)
    where Extract: Extractor, Carrier == Extract.Carrier {
        // traceparent: 00-<32 hex trace>-<16 hex parent>-<flags>
        guard let header = extractor.extract(key: "traceparent", from: carrier) else { return }
        let parts = header.split(separator: "-")
        guard parts.count == 4, parts[1].count == 32, parts[2].count == 16 else { return }
        context[IDsKey.self] = IDs(trace: String(parts[1]), span: String(parts[2]))
    }

    public func inject<Carrier, Inject>(_ context: ServiceContext, into carrier: inout Carrier, using injector: Inject)
    where Inject: Injector, Carrier == Inject.Carrier {
        guard let ids = context[IDsKey.self] else { return }
        injector.inject("00-\(ids.trace)-\(ids.span)-01", forKey: "traceparent", into: &carrier)
    }
}

public final class LogSpan: Tracing.Span, @unchecked Sendable {
    private let lock = NSLock()
    private var name: String
    private var status: SpanStatus?
    private var storedAttributes: SpanAttributes = [:]
    private var ended = false
    public let context: ServiceContext
    let parent: String?
    let started: UInt64
    let tracer: LogTracer

    init(name: String, context: ServiceContext, parent: String?, started: UInt64, tracer: LogTracer) {
        self.name = name
        self.context = context
        self.parent = parent
        self.started = started
        self.tracer = tracer
    }

    public var operationName: String {
        get { lock.lock(); defer { lock.unlock() }; return name }
        set { lock.lock(); name = newValue; lock.unlock() }
    }

    public var attributes: SpanAttributes {
        get { lock.lock(); defer { lock.unlock() }; return storedAttributes }
        set { lock.lock(); storedAttributes = newValue; lock.unlock() }
    }

    public var isRecording: Bool { lock.lock(); defer { lock.unlock() }; return !ended }
    public func setStatus(_ status: SpanStatus) { lock.lock(); self.status = status; lock.unlock() }
    public func addEvent(_ event: SpanEvent) {}
    public func addLink(_ link: SpanLink) {}
    public func recordError<Instant: TracerInstant>(_ error: Error, attributes: SpanAttributes, at instant: @autoclosure () -> Instant) {
        setStatus(SpanStatus(code: .error, message: "\(error)"))
    }

    public func end<Instant: TracerInstant>(at instant: @autoclosure () -> Instant) {
        lock.lock()
        guard !ended else { lock.unlock(); return }
        ended = true
        let name = self.name, status = self.status
        lock.unlock()
        let ids = context[LogTracer.IDsKey.self]
        let ms = Double(instant().nanosecondsSinceEpoch &- started) / 1e6
        var metadata: Logger.Metadata = ["span": "\(name)", "trace": "\(ids?.trace ?? "")", "id": "\(ids?.span ?? "")",
                                         "duration_ms": "\(String(format: "%.2f", ms))"]
        if let parent { metadata["parent"] = "\(parent)" }
        if let status, status.code == .error { metadata["status"] = "error" }
        tracer.logger.info("span", metadata: metadata)
    }
}
