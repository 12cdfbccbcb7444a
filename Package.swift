// swift-tools-version:6.0
import PackageDescription

/// A bundled plugin: a Swift target under Plugins/<dir> built as lib<product>.so.
struct BundledPlugin {
    let product: String
    let target: String
    let dir: String
    let dependencies: [Target.Dependency]
}

let bundledPlugins: [BundledPlugin] = [
    .init(product: "tonehost-random-description", target: "RandomDescriptionPlugin", dir: "random-description", dependencies: ["TonehostText"]),
    .init(product: "tonehost-rules-tone-selector", target: "RulesToneSelectorPlugin", dir: "rules-tone-selector", dependencies: ["ToneRules"]),
    .init(product: "tonehost-tone-child", target: "ChildTonePlugin", dir: "tone-child", dependencies: ["RuleTonePlugins"]),
    .init(product: "tonehost-tone-elder", target: "ElderTonePlugin", dir: "tone-elder", dependencies: ["RuleTonePlugins"]),
    .init(product: "tonehost-tone-professional", target: "ProfessionalTonePlugin", dir: "tone-professional", dependencies: ["RuleTonePlugins"]),
    .init(product: "tonehost-tone-casual", target: "CasualTonePlugin", dir: "tone-casual", dependencies: ["RuleTonePlugins"]),
    .init(product: "tonehost-extractive-answerer", target: "ExtractiveAnswererPlugin", dir: "extractive-answerer", dependencies: ["ExtractiveAnswer"]),
    .init(product: "tonehost-sqlite-retriever", target: "SQLiteRetrieverPlugin", dir: "sqlite-retriever", dependencies: ["KnowledgeStore"]),
    .init(product: "tonehost-vlm-client", target: "VLMClientPlugin", dir: "vlm-client", dependencies: ["CurlHTTP", "ChatBackends"]),
    .init(product: "tonehost-llm-ollama", target: "OllamaPlugin", dir: "llm-ollama", dependencies: ["ChatBackends"]),
    .init(product: "tonehost-llm-openai", target: "OpenAIPlugin", dir: "llm-openai", dependencies: ["ChatBackends"]),
    .init(product: "tonehost-tone-selector-llm", target: "LLMToneSelectorPlugin", dir: "tone-selector-llm", dependencies: ["ToneRules"]),
    .init(product: "tonehost-tone-llm", target: "LLMTonePlugin", dir: "tone-llm", dependencies: ["ToneRules"]),
    .init(product: "tonehost-embedder-ollama", target: "OllamaEmbedderPlugin", dir: "embedder-ollama", dependencies: ["ChatBackends"]),
    .init(product: "tonehost-embedder-openai", target: "OpenAIEmbedderPlugin", dir: "embedder-openai", dependencies: ["ChatBackends"]),
    .init(product: "tonehost-chroma-retriever", target: "ChromaRetrieverPlugin", dir: "chroma-retriever", dependencies: ["ChatBackends", "TonehostText"]),
]

let swift5: [SwiftSetting] = [.swiftLanguageMode(.v5)]

var products: [Product] = [
    .executable(name: "tonehost", targets: ["tonehost"]),
    // The plugin SDK, for packages outside this repository (see sdk/swift-tone-template):
    // the Swift kit with the ABI header and the exported ABI-version symbol every plugin needs.
    .library(name: "TonehostPluginKit", targets: ["TonehostPluginKit", "TonehostTypes", "CHostThreads", "CTonehostABI", "CTonehostPluginSymbols"]),
    // The ABI header alone (C/C++ plugins built with SwiftPM).
    .library(name: "TonehostPluginABI", targets: ["CTonehostABI", "CTonehostPluginSymbols"]),
    // The support libraries the bundled plugins use, so Plugins/ imports only what a third party can.
    .library(name: "TonehostText", targets: ["TonehostText"]),
    .library(name: "ToneRules", targets: ["ToneRules"]),
    .library(name: "RuleTonePlugins", targets: ["RuleTonePlugins"]),
    .library(name: "KnowledgeStore", targets: ["KnowledgeStore"]),
    .library(name: "ExtractiveAnswer", targets: ["ExtractiveAnswer"]),
    .library(name: "ChatBackends", targets: ["ChatBackends"]),
    .library(name: "CurlHTTP", targets: ["CurlHTTP"]),
]
var targets: [Target] = [
    // The C ABI: one header, the whole contract between host and plugins.
    .target(name: "CTonehostABI"),
    // Exports `tonehost_plugin_abi_version` from every bundled Swift plugin.
    .target(name: "CTonehostPluginSymbols", dependencies: ["CTonehostABI"]),
    // Calls manifest-declared plain C functions ("simple" plugins) through libffi.
    .target(name: "CTonehostFFI", linkerSettings: [.linkedLibrary("ffi")]),
    .systemLibrary(name: "CSQLite", providers: [.apt(["libsqlite3-dev"])]),
    // Non-variadic wrappers over libcurl (curl_easy_setopt cannot be called from Swift).
    .target(name: "CCurl", linkerSettings: [.linkedLibrary("curl")]),
    // Asynchronous HTTP on libcurl's multi interface (one thread for all transfers).
    .target(name: "CurlHTTP", dependencies: ["CCurl", "TonehostTypes"], swiftSettings: swift5),
    // Names the host's own threads as the kernel shows them (ps, top, perf).
    .target(name: "CHostThreads"),
    // Chat-completion backends over HTTP (Ollama NDJSON, OpenAI-compatible SSE) for plugins.
    .target(name: "ChatBackends", dependencies: ["CurlHTTP", "TonehostPluginKit", "TonehostTypes"], swiftSettings: swift5),
    // Brute-force vector scan over contiguous int8 rows (vectorised C; the hybrid ranking's dense half).
    .target(name: "CVectorScan", cSettings: [.unsafeFlags(["-O3"])]),
    // A thin wrapper over libsqlite3 shared by the knowledge base and the session store.
    .target(name: "SQLiteSupport", dependencies: ["CSQLite"], swiftSettings: swift5),
    // Conversation history per session (SQLite).
    .target(name: "SessionStore", dependencies: ["CSQLite", "SQLiteSupport", "TonehostTypes"], swiftSettings: swift5),

    // Conversation history, rate-limit windows and description cache shared by several hosts (PostgreSQL).
    .target(name: "SessionStorePostgres", dependencies: [
        "SessionStore", "TonehostTypes",
        .product(name: "PostgresNIO", package: "postgres-nio"),
        .product(name: "NIOSSL", package: "swift-nio-ssl"),
        .product(name: "Logging", package: "swift-log"),
    ], swiftSettings: swift5),

    // Pure text handling shared by host and plugins: language, sentences, tokens.
    .target(name: "TonehostText", swiftSettings: swift5),
    // Deterministic tone rules and the rule-based tone selector.
    .target(name: "ToneRules", dependencies: ["TonehostText"], swiftSettings: swift5),
    // The four built-in rule tones as plugin classes (each bundled tone library exports one).
    .target(name: "RuleTonePlugins", dependencies: ["ToneRules", "TonehostPluginKit", "TonehostText"], swiftSettings: swift5),
    // The SQLite FTS5 knowledge base (ingest + search).
    .target(name: "KnowledgeStore", dependencies: ["CSQLite", "SQLiteSupport", "TonehostText", "TonehostTypes", "CVectorScan",
                                                   .product(name: "Crypto", package: "swift-crypto")],
            resources: [.copy("SampleKnowledge")], swiftSettings: swift5),
    // Sentence ranking and answer composition for the model-free answerer.
    .target(name: "ExtractiveAnswer", dependencies: ["TonehostText", "TonehostTypes"], swiftSettings: swift5),
    // Swift glue for writing plugins against the C ABI.
    .target(name: "TonehostPluginKit", dependencies: ["CTonehostABI", "TonehostTypes"], swiftSettings: swift5),
    // The values host, plugins and stores exchange (chat messages, retrieved passages): one copy each.
    .target(name: "TonehostTypes", dependencies: ["CHostThreads"], swiftSettings: swift5),

    // The host: manifests, loader, plugin calls, the pipeline.
    .target(name: "TonehostCore", dependencies: [
        "CTonehostABI", "CTonehostFFI", "TonehostText", "TonehostTypes",
        .product(name: "TOMLKit", package: "TOMLKit"),
        .product(name: "Logging", package: "swift-log"),
        .product(name: "Crypto", package: "swift-crypto"),
        .product(name: "Tracing", package: "swift-distributed-tracing"),
    ], swiftSettings: swift5),
    // `tonehost serve` configuration: TOML file + TONEHOST_* environment + flags.
    .target(name: "TonehostConfig", dependencies: [.product(name: "TOMLKit", package: "TOMLKit")], swiftSettings: swift5),
    // The HTTP API (Hummingbird): the original contract, sessions, the description server,
    // and operations (probes, metrics, reload, logs).
    .target(name: "TonehostServer", dependencies: [
        "TonehostCore", "SessionStore", "SessionStorePostgres", "KnowledgeStore", "TonehostText", "TonehostConfig",
        .product(name: "Logging", package: "swift-log"),
        .product(name: "Hummingbird", package: "hummingbird"),
        .product(name: "HummingbirdCore", package: "hummingbird"),
        .product(name: "HummingbirdTLS", package: "hummingbird"),
        .product(name: "NIOSSL", package: "swift-nio-ssl"),
        .product(name: "NIOCore", package: "swift-nio"),
        .product(name: "NIOHTTPTypes", package: "swift-nio-extras"),
        .product(name: "Metrics", package: "swift-metrics"),
        .product(name: "Tracing", package: "swift-distributed-tracing"),
        .product(name: "Prometheus", package: "swift-prometheus"),
        .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
        .product(name: "UnixSignals", package: "swift-service-lifecycle"),
        "SQLiteSupport",
    ], resources: [.copy("Resources")], swiftSettings: swift5),
    .executableTarget(name: "tonehost", dependencies: [
        "TonehostCore", "KnowledgeStore", "SessionStore", "TonehostServer", "TonehostConfig", "SQLiteSupport", "CSQLite", "CurlHTTP",
        .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
        .product(name: "UnixSignals", package: "swift-service-lifecycle"),
        .product(name: "Hummingbird", package: "hummingbird"),
        .product(name: "NIOCore", package: "swift-nio"),
        .product(name: "NIOPosix", package: "swift-nio"),
        .product(name: "ArgumentParser", package: "swift-argument-parser"),
        .product(name: "Logging", package: "swift-log"),
    ], swiftSettings: swift5),

    // A fake Ollama / OpenAI-compatible server for tests and the LLM benchmark.
    .target(name: "FakeBackends", dependencies: [.product(name: "Hummingbird", package: "hummingbird")], swiftSettings: swift5),
    // Benchmark: 100 concurrent pipeline runs against a fake streaming Ollama (`swift run -c release tonehost-llm-bench`).
    .executableTarget(name: "tonehost-llm-bench", dependencies: ["TonehostCore", "FakeBackends"], swiftSettings: swift5),
    // The floor of scripts/host-bench.py: a bare Hummingbird app streaming a fixed answer.
    .executableTarget(name: "tonehost-floor", dependencies: ["FakeBackends", .product(name: "Hummingbird", package: "hummingbird")], swiftSettings: swift5),
    // Benchmark: ingest + query figures for a generated corpus (`swift run -c release tonehost-kb-bench`).
    .executableTarget(name: "tonehost-kb-bench", dependencies: ["KnowledgeStore", "TonehostText", "TonehostTypes", .product(name: "ArgumentParser", package: "swift-argument-parser")], swiftSettings: swift5),

    // Benchmark and answer dump: the extractive answerer over the eval questions (`swift run -c release tonehost-answer-bench eval/sample.tsv`).
    .executableTarget(name: "tonehost-answer-bench", dependencies: ["KnowledgeStore", "ExtractiveAnswer", "TonehostText", .product(name: "ArgumentParser", package: "swift-argument-parser")], swiftSettings: swift5),

    // Host, ABI, CLI and pipeline tests (real .so files, the real executable).
    .testTarget(name: "TonehostTests", dependencies: ["TonehostCore", "TonehostText", "CurlHTTP", "CSQLite", "FakeBackends",
                                                     .product(name: "Hummingbird", package: "hummingbird")],
                resources: [.copy("CPlugins")], swiftSettings: swift5),
    .testTarget(name: "ToneRulesTests", dependencies: ["ToneRules", "TonehostText"],
                resources: [.copy("Fixtures")], swiftSettings: swift5),
    .testTarget(name: "KnowledgeStoreTests", dependencies: ["KnowledgeStore", "ExtractiveAnswer", "TonehostText", "TonehostTypes"],
                resources: [.copy("Fixtures")], swiftSettings: swift5),
]

for plugin in bundledPlugins {
    products.append(.library(name: plugin.product, type: .dynamic, targets: [plugin.target]))
    targets.append(.target(
        name: plugin.target,
        dependencies: ["TonehostPluginKit", "CTonehostPluginSymbols"] + plugin.dependencies,
        path: "Plugins/\(plugin.dir)",
        swiftSettings: swift5))
}

let package = Package(
    name: "tonehost",
    platforms: [.macOS(.v14)],
    products: products,
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.6.0"),
        .package(url: "https://github.com/apple/swift-crypto", from: "3.12.0"),
        .package(url: "https://github.com/LebJe/TOMLKit", from: "0.6.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.0"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.9.0"),
        .package(url: "https://github.com/apple/swift-distributed-tracing", from: "1.1.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        // Hummingbird's own dependencies, named for the connection handlers (slow-client deadlines).
        .package(url: "https://github.com/apple/swift-nio", from: "2.81.0"),
        .package(url: "https://github.com/apple/swift-nio-extras", from: "1.34.1"),
        // The shared session store for several hosts (`session_store = "postgres://…"`).
        .package(url: "https://github.com/vapor/postgres-nio", from: "1.33.2"),
        // Native TLS (tls_certificate / tls_private_key) through HummingbirdTLS.
        .package(url: "https://github.com/apple/swift-nio-ssl", from: "2.37.2"),
    ],
    targets: targets
)
