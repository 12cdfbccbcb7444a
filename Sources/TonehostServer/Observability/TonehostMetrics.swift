import CoreMetrics
import Foundation
import Metrics
import Prometheus
import TonehostCore

/// The daemon's metrics, exported in Prometheus text at `/metrics`. Hummingbird's
/// MetricsMiddleware records the HTTP side (requests by route and status, latency, errors);
/// this type records the pipeline side from each request's `PipelineSummary`.
public final class TonehostMetrics: Sendable {
    public let registry: PrometheusCollectorRegistry

    /// Bootstraps swift-metrics once per process with a Prometheus registry.
    public static let shared: TonehostMetrics = {
        let registry = PrometheusCollectorRegistry()
        var factory = PrometheusMetricsFactory(registry: registry)
        factory.defaultDurationHistogramBuckets = [
            .milliseconds(5), .milliseconds(10), .milliseconds(25), .milliseconds(50), .milliseconds(100),
            .milliseconds(250), .milliseconds(500), .seconds(1), .milliseconds(2500), .seconds(5), .seconds(10),
            .seconds(30), .seconds(60),
        ]
        // Called for every metric handle made, Hummingbird's per request among them: a look-up,
        // and Foundation's replace only for a name that has a dot.
        factory.nameAndLabelSanitizer = { name, labels in
            (renamed[name] ?? underscored(name), labels.map { (labelRenamed[$0.0] ?? underscored($0.0), $0.1) })
        }
        MetricsSystem.bootstrap(factory)
        return TonehostMetrics(registry: registry)
    }()

    /// Hummingbird's OpenTelemetry-style names → Prometheus conventions.
    private static let renamed = [
        "hb.requests": "tonehost_http_requests_total",
        "hb.request.errors": "tonehost_http_request_errors_total",
        "http.server.request.duration": "tonehost_http_request_duration_seconds",
        "http.server.active_requests": "tonehost_http_active_requests",
    ]
    private static func underscored(_ name: String) -> String {
        name.utf8.contains(UInt8(ascii: ".")) ? name.replacingOccurrences(of: ".", with: "_") : name
    }
    private static let labelRenamed = [
        "http.route": "route", "http.request.method": "method", "http.response.status_code": "status", "error.type": "status",
    ]

    private init(registry: PrometheusCollectorRegistry) {
        self.registry = registry
        inFlight = CoreMetrics.Meter(label: "tonehost_answer_streams_in_flight")
        generation = CoreMetrics.Meter(label: "tonehost_plugin_generation")
        answerFailures = CoreMetrics.Counter(label: "tonehost_answer_failures_total")
        requestTimeouts = CoreMetrics.Counter(label: "tonehost_request_timeouts_total")
        firstByte = CoreMetrics.Timer(label: "tonehost_time_to_first_byte_seconds", preferredDisplayUnit: .seconds)
        historyReadFailures = CoreMetrics.Counter(label: "tonehost_history_read_failures_total")
        historyWriteFailures = CoreMetrics.Counter(label: "tonehost_history_write_failures_total")
        sharedStateFailures = CoreMetrics.Counter(label: "tonehost_shared_state_failures_total")
        knowledgeBaseGeneration = CoreMetrics.Meter(label: "tonehost_knowledge_base_generation")
        knowledgeBaseDocuments = CoreMetrics.Meter(label: "tonehost_knowledge_base_documents")
        connectionsClosed = { reason in CoreMetrics.Counter(label: "tonehost_connections_closed_total", dimensions: [("reason", reason)]) }
        PluginCrashes.onCrash = { plugin in
            CoreMetrics.Counter(label: "tonehost_plugin_crashes_total", dimensions: [("plugin", plugin)]).increment()
        }
    }

    /// Handles made once per label value and reused (making one costs a registry look-up under
    /// its lock, every answer).
    private let stageTimers = HandleCache<CoreMetrics.Timer> {
        CoreMetrics.Timer(label: "tonehost_stage_duration_seconds", dimensions: [("stage", $0)], preferredDisplayUnit: .seconds)
    }
    private let toneCounters = HandleCache<CoreMetrics.Counter> {
        CoreMetrics.Counter(label: "tonehost_tone_selected_total", dimensions: [("tone", $0)])
    }

    public let inFlight: CoreMetrics.Meter
    public let generation: CoreMetrics.Meter
    public let answerFailures: CoreMetrics.Counter
    public let requestTimeouts: CoreMetrics.Counter
    public let firstByte: CoreMetrics.Timer
    /// Session history that could not be read (the answer went on without it) or stored.
    public let historyReadFailures: CoreMetrics.Counter
    public let historyWriteFailures: CoreMetrics.Counter
    /// Shared rate-limit or description-cache calls that failed (the host used its own instead).
    public let sharedStateFailures: CoreMetrics.Counter
    /// This host's knowledge-base content fingerprint (`/readyz` shows it in hex): hosts that
    /// differ hold different content. Documents in it.
    public let knowledgeBaseGeneration: CoreMetrics.Meter
    public let knowledgeBaseDocuments: CoreMetrics.Meter
    /// Connections the server closed itself: "header_timeout", "body_timeout", "idle_timeout".
    public let connectionsClosed: @Sendable (String) -> CoreMetrics.Counter

    /// Per-stage latencies, the tone chosen and describer fallbacks of one finished answer.
    public func record(_ summary: PipelineSummary) {
        for (stage, seconds) in summary.timings {
            stageTimers.get(stage).recordNanoseconds(Int64(seconds * 1e9))
        }
        if summary.failed { answerFailures.increment() }
        for plugin in summary.pluginFailures {
            CoreMetrics.Counter(label: "tonehost_plugin_errors_total", dimensions: [("plugin", plugin)]).increment()
        }
        guard let tone = summary.tone else { return }
        toneCounters.get(tone.category).increment()
        if tone.descriptionSource == .none, let label = tone.fallback?.describerLabel {
            CoreMetrics.Counter(label: "tonehost_describer_fallbacks_total", dimensions: [("reason", label)]).increment()
        }
    }

    public func reloaded(ok: Bool) {
        CoreMetrics.Counter(label: "tonehost_reloads_total", dimensions: [("result", ok ? "ok" : "failed")]).increment()
    }

    /// Creates the series of every known label at zero, so a dashboard or an alert has a series
    /// before the first event: the answer stages, the tones of `tones`, the describer fallback
    /// reasons, reload results, connection-close reasons, and the API's routes at 200.
    public func primeKnownSeries(tones: [String]) {
        for stage in Self.stages {
            _ = CoreMetrics.Timer(label: "tonehost_stage_duration_seconds", dimensions: [("stage", stage)], preferredDisplayUnit: .seconds)
        }
        for tone in tones { _ = CoreMetrics.Counter(label: "tonehost_tone_selected_total", dimensions: [("tone", tone)]) }
        for reason in ["no_describer", "empty", "timeout", "error"] {
            _ = CoreMetrics.Counter(label: "tonehost_describer_fallbacks_total", dimensions: [("reason", reason)])
        }
        for result in ["ok", "failed"] { _ = CoreMetrics.Counter(label: "tonehost_reloads_total", dimensions: [("result", result)]) }
        for reason in ["header_timeout", "body_timeout", "idle_timeout"] { _ = connectionsClosed(reason) }
        for (method, route) in Self.routes {
            let dimensions = [("http.route", route), ("http.request.method", method), ("http.response.status_code", "200")]
            _ = CoreMetrics.Counter(label: "hb.requests", dimensions: dimensions)
            _ = CoreMetrics.Timer(label: "http.server.request.duration", dimensions: dimensions, preferredDisplayUnit: .seconds)
        }
    }

    /// The stages a `PipelineSummary` times.
    static let stages = ["description", "retrieval", "generation", "selection", "tone", "total"]
    /// The routes whose request series exist from the start.
    static let routes = [
        ("POST", "/api/rag-llm/query"), ("POST", "/api/rag-llm/query-with-tone"), ("POST", "/api/rag-llm/convert-tone"),
        ("POST", "/v1/chat/completions"), ("GET", "/health"), ("GET", "/readyz"),
    ]

    /// The Prometheus text of every family, each with its `# HELP`, then the `process_*` series.
    public func exposition() -> String {
        var out = ""
        for line in registry.emitToString().split(separator: "\n", omittingEmptySubsequences: false) {
            if line.hasPrefix("# TYPE ") {
                let name = line.dropFirst(7).prefix { $0 != " " }
                out += "# HELP \(name) \(MetricHelp.text[String(name)] ?? MetricHelp.fallback)\n"
            }
            out += line
            out += "\n"
        }
        if out.hasSuffix("\n\n") { out.removeLast() }
        return out + ProcessMetrics.exposition()
    }
}

/// The `# HELP` text of each family `/metrics` exports.
enum MetricHelp {
    static let fallback = "tonehost metric (no help text yet)"
    static let text: [String: String] = [
        "tonehost_http_requests_total": "HTTP requests answered, by route, method and status.",
        "tonehost_http_request_errors_total": "HTTP requests that ended in an error thrown past the router, by route, method and status.",
        "tonehost_http_request_duration_seconds": "Time from request to the last byte of the response, by route, method and status.",
        "tonehost_http_active_requests": "HTTP requests in progress, by method.",
        "tonehost_answer_streams_in_flight": "Answer streams being written now.",
        "tonehost_plugin_generation": "Number of the plugin generation in use (grows by one per reload).",
        "tonehost_answer_failures_total": "Answers that ended with an ERROR line (retriever or LLM failure).",
        "tonehost_request_timeouts_total": "Answers cut off by request_timeout_ms.",
        "tonehost_time_to_first_byte_seconds": "Time from request to the first byte of an answer.",
        "tonehost_history_read_failures_total": "Session-history reads that failed or timed out (the answer went on without history).",
        "tonehost_history_write_failures_total": "Session-history writes that failed or timed out (the turn was not stored).",
        "tonehost_connections_closed_total": "Client connections the server closed itself, by reason.",
        "tonehost_plugin_crashes_total": "Isolated plugin worker crashes, by plugin.",
        "tonehost_shared_state_failures_total": "Shared rate-limit or description-cache calls that failed (the host used its own state).",
        "tonehost_knowledge_base_generation": "Fingerprint of the knowledge base's documents as a number; hosts that differ hold different content.",
        "tonehost_knowledge_base_documents": "Documents in the knowledge base.",
        "tonehost_stage_duration_seconds": "Time of each stage of an answer: description, retrieval, generation, selection, tone, total.",
        "tonehost_plugin_errors_total": "Plugin calls that failed or timed out during a request, by plugin.",
        "tonehost_tone_selected_total": "Answers converted to each tone.",
        "tonehost_describer_fallbacks_total": "Answers that got no visitor description, by reason (timeout, error, empty, no_describer).",
        "tonehost_reloads_total": "Reloads of config and manifests, by result.",
    ]
}

/// Metric handles by label value, made on first use. Label values come from the host (stage
/// names, registered tone categories), so the set is small and bounded.
final class HandleCache<Handle>: @unchecked Sendable {
    private let make: (String) -> Handle
    private let handles = Locked<[String: Handle]>([:])
    init(_ make: @escaping (String) -> Handle) { self.make = make }

    func get(_ value: String) -> Handle {
        if let h = handles.mutate({ $0[value] }) { return h }
        let h = make(value)
        return handles.mutate { cache in
            if let existing = cache[value] { return existing }
            cache[value] = h
            return h
        }
    }
}
