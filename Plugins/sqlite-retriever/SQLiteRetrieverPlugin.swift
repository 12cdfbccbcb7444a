import Foundation
import KnowledgeStore
import TonehostPluginKit
import TonehostText

/// The embedded knowledge base: SQLite FTS5 (BM25, CJK bigrams), hybrid with the store's
/// vectors when the host hands over a query vector of the same model. Config:
///   db              — store path (default: TONEHOST_DB, else the documented default path)
///   seed_sample     — ingest the bundled ITRI sample when the store is empty (default true)
///   lexical_weight, vector_weight — reciprocal-rank-fusion weights in percent (default 100, 100)
///   rrf_k           — the fusion's k (default 60)
final class SQLiteRetriever: RetrieverPlugin, RetrieverAdministration {
    private let store: KnowledgeStore
    private let host: HostServices
    private let seedSample: Bool
    private let weights: HybridWeights
    /// The last reason vectors could not be used, logged once per distinct reason.
    private let lastNote = NSLock()
    private var loggedNote: String?

    init(host: HostServices, config: PluginConfig) throws {
        self.host = host
        let path = try config.string("db").flatMap { $0.isEmpty ? nil : $0 } ?? KnowledgeStore.defaultPath
        seedSample = try config.bool("seed_sample", default: true)
        let lexical = try config.int("lexical_weight", default: 100)
        let vector = try config.int("vector_weight", default: 100)
        let k = try config.int("rrf_k", default: 60)
        guard lexical >= 0, vector >= 0, lexical + vector > 0 else {
            throw PluginError(.config, "config keys 'lexical_weight' and 'vector_weight' must be ≥ 0 and not both 0, found \(lexical) and \(vector)")
        }
        guard k >= 1 else { throw PluginError(.config, "config key 'rrf_k' must be at least 1, found \(k)") }
        weights = HybridWeights(lexical: Double(lexical) / 100, vector: Double(vector) / 100, k: Double(k))
        do {
            store = try KnowledgeStore(path: path)
            if seedSample, let summary = try store.seedSampleIfEmpty() {
                host.log(.info, "store \(path) was empty: ingested the sample knowledge base (\(summary.passages) passages)")
            }
        } catch {
            throw PluginError(.config, "knowledge base \(path): \(error)")
        }
        host.log(.info, "knowledge base \(path) open")
    }

    func retrieve(_ request: RetrieveRequest, sink: CallSink) throws {
        let language = Language(tag: request.language)
        // The reason reaches the client's stream as its `ERROR:` line.
        let result = try storeWork("knowledge base search failed", "knowledge base unavailable", otherwise: "the store could not be read") {
            let vector = request.queryVector.isEmpty ? nil : Embedding(model: request.vectorModel, values: request.queryVector)
            return try store.search(request.query, language: language, topK: max(1, request.topK), vector: vector, weights: weights)
        }
        if let note = result.note { logOnce("vectors not used: \(note)") }
        for p in result.passages {
            try sink.emit(passage: RetrievedPassage(id: p.id, title: p.title, content: p.content, source: p.source,
                                                    language: p.language.rawValue, score: p.score))
        }
    }

    /// Store work: a PluginError passes as it is; any other error is logged in full (with the
    /// store's path) as "`logged`: error" and thrown as unavailable "`failure` (reason)", the
    /// reason a KnowledgeStoreError's, without the path (file paths are not the client's
    /// business), else `otherwise`, else the error.
    private func storeWork<T>(_ logged: String, _ failure: String, otherwise: String? = nil, _ body: () throws -> T) throws -> T {
        do {
            return try body()
        } catch let e as PluginError {
            throw e
        } catch {
            host.log(.error, "\(logged): \(error)")
            throw PluginError(.unavailable, "\(failure) (\((error as? KnowledgeStoreError)?.reason ?? otherwise ?? "\(error)"))")
        }
    }

    private func logOnce(_ note: String) {
        lastNote.lock()
        let fresh = loggedNote != note
        loggedNote = note
        lastNote.unlock()
        if fresh { host.log(.warning, note) }
    }

    func warmup(sink: CallSink) throws -> String {
        let count = (try? store.passageCount()) ?? 0
        _ = try? store.search("ITRI 工研院", language: nil, topK: 1)
        let lexicalBytes = (try? store.loadLexicalIndex()) ?? 0
        let bytes = (try? store.loadVectorIndex()) ?? 0
        let lexical = lexicalBytes > 0 ? ", lexical index \(lexicalBytes / 1_048_576) MiB" : ""
        let vectors = bytes > 0 ? ", vector index \(bytes / 1_048_576) MiB" : ""
        return "knowledge base ready (\(count) passages\(lexical)\(vectors))"
    }

    // MARK: TONEHOST_EXT_RETRIEVER_ADMIN

    func status(sink: CallSink) throws -> String {
        try storeWork("knowledge base status failed", "the knowledge base cannot be read") {
            let count = try store.passageCount()
            guard count > 0 else { throw PluginError(.unavailable, "the knowledge base is empty (ingest files or POST /api/rag-llm/init)") }
            return try describe(count)
        }
    }

    /// Seeds the sample when the store is empty; with the host's embedder, embeds the passages
    /// still without a vector (the sample, or files ingested before the embedder was enabled).
    func initialize(sink: CallSink) throws -> String {
        try storeWork("knowledge base initialisation failed", "knowledge base initialisation failed") {
            if seedSample { _ = try store.seedSampleIfEmpty() }
            let count = try store.passageCount()
            guard count > 0 else { throw PluginError(.unavailable, "the knowledge base is empty and seed_sample is off") }
            if host.hasEmbedder, try store.passagesWithoutVector() > 0 {
                try embedMissing(sink: sink)
            }
            return try describe(count)
        }
    }

    private func describe(_ count: Int) throws -> String {
        guard let model = try store.embeddingModel() else { return "knowledge base ready with \(count) passages" }
        let with = try store.passagesWithVector()
        return "knowledge base ready with \(count) passages (\(with) with vectors by \(model.model), \(model.dimension) dimensions)"
    }

    /// Runs on the host thread of the admin call (it may block); the host splits into batches too.
    private func embedMissing(sink: CallSink) throws {
        let summary = try store.embedMissing(batchSize: 64) { texts in
            let (model, vectors) = try host.embed(texts, purpose: .document, sink: sink)
            return vectors.map { Embedding(model: model, values: $0) }
        }
        host.log(.info, "embedded \(summary.embedded) passages in \(String(format: "%.1f", summary.seconds)) s")
    }
}

private let export = PluginExport.retriever(
    id: "tonehost.retriever.sqlite", version: "1.1",
    description: "SQLite FTS5 knowledge base (BM25, CJK bigrams; hybrid with stored vectors)", nonblocking: true) { host, config in
    try SQLiteRetriever(host: host, config: config)
}

@_cdecl("tonehost_plugin_entry")
public func tonehostPluginEntry() -> UnsafeRawPointer { export.descriptor }
