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
        factory.nameAndLabelSanitizer = { name, labels in
            (renamed[name] ?? name.replacingOccurrences(of: ".", with: "_"),
             labels.map { (labelRenamed[$0.0] ?? $0.0.replacingOccurrences(of: ".", with: "_"), $0.1) })
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
            CoreMetrics.Timer(label: "tonehost_stage_duration_seconds", dimensions: [("stage", stage)], preferredDisplayUnit: .seconds)
                .recordNanoseconds(Int64(seconds * 1e9))
        }
        if summary.failed { answerFailures.increment() }
        for plugin in summary.pluginFailures {
            CoreMetrics.Counter(label: "tonehost_plugin_errors_total", dimensions: [("plugin", plugin)]).increment()
        }
        guard let tone = summary.tone else { return }
        CoreMetrics.Counter(label: "tonehost_tone_selected_total", dimensions: [("tone", tone.category)]).increment()
        if tone.descriptionSource == .none, let label = tone.fallback?.describerLabel {
            CoreMetrics.Counter(label: "tonehost_describer_fallbacks_total", dimensions: [("reason", label)]).increment()
        }
    }

    public func reloaded(ok: Bool) {
        CoreMetrics.Counter(label: "tonehost_reloads_total", dimensions: [("result", ok ? "ok" : "failed")]).increment()
    }

    public func exposition() -> String {
        registry.emitToString()
    }
}
