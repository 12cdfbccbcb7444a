import KnowledgeStore
import TonehostPluginKit
import TonehostText

/// The embedded knowledge base: SQLite FTS5 (BM25, CJK bigrams). Config:
///   db            — store path (default: TONEHOST_DB, else the documented default path)
///   seed_sample   — ingest the bundled ITRI sample when the store is empty (default true)
final class SQLiteRetriever: RetrieverPlugin {
    private let store: KnowledgeStore
    private let host: HostServices

    init(host: HostServices, config: PluginConfig) throws {
        self.host = host
        let path = try config.string("db").flatMap { $0.isEmpty ? nil : $0 } ?? KnowledgeStore.defaultPath
        do {
            store = try KnowledgeStore(path: path)
            if try config.bool("seed_sample", default: true), let summary = try store.seedSampleIfEmpty() {
                host.log(.info, "store \(path) was empty: ingested the sample knowledge base (\(summary.passages) passages)")
            }
        } catch {
            throw PluginError(.config, "knowledge base \(path): \(error)")
        }
        host.log(.info, "knowledge base \(path) open")
    }

    func retrieve(_ request: RetrieveRequest, sink: CallSink) throws {
        let language = Language(tag: request.language)
        let passages: [Passage]
        do {
            passages = try store.search(request.query, language: language, topK: max(1, request.topK))
        } catch {
            // The full error (with the store's path) goes to the log only: the reason reaches
            // the client's stream as its `ERROR:` line, and file paths are not the client's business.
            host.log(.error, "knowledge base search failed: \(error)")
            let reason = (error as? KnowledgeStoreError)?.reason ?? "the store could not be read"
            throw PluginError(.unavailable, "knowledge base unavailable (\(reason))")
        }
        for p in passages {
            try sink.emit(passage: RetrievedPassage(id: p.id, title: p.title, content: p.content, source: p.source,
                                              language: p.language.rawValue, score: p.score))
        }
    }

    func warmup(sink: CallSink) throws -> String {
        let count = (try? store.passageCount()) ?? 0
        _ = try? store.search("ITRI 工研院", language: nil, topK: 1)
        return "knowledge base ready (\(count) passages)"
    }
}

private let export = PluginExport.retriever(
    id: "tonehost.retriever.sqlite", version: "1.0",
    description: "SQLite FTS5 knowledge base (BM25, CJK bigrams)", nonblocking: true) { host, config in
    try SQLiteRetriever(host: host, config: config)
}

@_cdecl("tonehost_plugin_entry")
public func tonehostPluginEntry() -> UnsafeRawPointer { export.descriptor }
