import ChatBackends
import CurlHTTP
import Foundation
import TonehostPluginKit
import TonehostText

/// An existing ChromaDB collection over Chroma's HTTP API (v2), the migration path from the
/// original deployment. Query vectors come from the host's embedder (an embedder manifest must
/// be active, with the model the collection was built with). Asynchronous on CurlHTTP.
/// Config:
///   base_url     — the Chroma server (default http://127.0.0.1:8000)
///   collection   — the collection's name (required)
///   tenant, database — default "default_tenant", "default_database"
///   title_key, source_key, language_key — metadata fields mapped to the passage (default
///                  "title", "source", "language"; a missing language is detected from the text)
///   api_key / api_key_env — sent as `X-Chroma-Token` (Chroma's token auth)
///   timeout_ms   — per HTTP request (default 10000; the call's deadline bounds it too)
final class ChromaRetriever: AsyncRetrieverPlugin, RetrieverAdministration {
    let base: String
    let collection: String
    let titleKey: String
    let sourceKey: String
    let languageKey: String
    let headers: [String]
    let timeoutMilliseconds: Int
    let host: HostServices

    struct CollectionInfo {
        var id: String
        var dimension: Int?
    }
    private let cache = NSLock()
    private var resolved: CollectionInfo?

    init(host: HostServices, config: PluginConfig, environment: [String: String] = ProcessInfo.processInfo.environment) throws {
        self.host = host
        var url = try config.string("base_url").flatMap { $0.isEmpty ? nil : $0 } ?? "http://127.0.0.1:8000"
        while url.hasSuffix("/") { url.removeLast() }
        guard let name = try config.string("collection"), !name.isEmpty else {
            throw PluginError(.config, "config key 'collection' is required (the name of the Chroma collection to serve)")
        }
        collection = name
        let tenant = try config.string("tenant", default: "default_tenant")
        let database = try config.string("database", default: "default_database")
        base = "\(url)/api/v2/tenants/\(Self.escape(tenant))/databases/\(Self.escape(database))/collections"
        titleKey = try config.string("title_key", default: "title")
        sourceKey = try config.string("source_key", default: "source")
        languageKey = try config.string("language_key", default: "language")
        timeoutMilliseconds = try config.int("timeout_ms", default: 10_000)
        var key = try config.string("api_key").flatMap { $0.isEmpty ? nil : $0 }
        if key == nil, let env = try config.string("api_key_env") { key = environment[env].flatMap { $0.isEmpty ? nil : $0 } }
        var h = ["Content-Type: application/json"]
        if let key { h.append("X-Chroma-Token: \(key)") }
        headers = h
        host.log(.info, "Chroma collection \(name) at \(url) (tenant \(tenant), database \(database))")
    }

    static func escape(_ s: String) -> String {
        s.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed.subtracting(CharacterSet(charactersIn: "/"))) ?? s
    }

    private func request(_ url: String, method: String = "GET", body: [String: Any]? = nil, timeout: Int?) -> CurlHTTPClient.Request {
        CurlHTTPClient.Request(url: url, method: method, headers: headers, body: body.map { try! JSONSerialization.data(withJSONObject: $0) },
                               timeoutMilliseconds: timeout)
    }

    private static func failure(_ f: CurlHTTPClient.Failure) -> PluginError {
        switch f.kind {
        case .timeout: return PluginError(.timeout, "Chroma did not answer in time: \(f.message)")
        case .cancelled: return .cancelled
        case .unreachable, .other: return PluginError(.unavailable, "Chroma is unreachable: \(f.message)")
        }
    }

    static func chromaMessage(_ body: Data) -> String {
        if let o = try? JSONSerialization.jsonObject(with: body) as? [String: Any] {
            if let m = o["message"] as? String { return m }
            if let m = o["error"] as? String { return m }
            if let d = o["detail"] { return "\(d)" }
        }
        return String(decoding: body.prefix(200), as: UTF8.self)
    }

    /// The collection (id, dimension), fetched once by name.
    private func resolve(timeout: Int?, sink: CallSink?, _ done: @escaping (Result<CollectionInfo, PluginError>) -> Void) -> CurlHTTPClient.Transfer? {
        cache.lock()
        let known = resolved
        cache.unlock()
        if let known { done(.success(known)); return nil }
        return CurlHTTPClient.shared.fetch(request("\(base)/\(Self.escape(collection))", timeout: timeout)) { [self] result in
            switch result {
            case .failure(let f): done(.failure(Self.failure(f)))
            case .success(let r) where r.status == 404 || (r.status >= 400 && Self.chromaMessage(r.body).lowercased().contains("does not exist")):
                done(.failure(PluginError(.unavailable, "the Chroma collection '\(collection)' does not exist on this server (\(Self.chromaMessage(r.body)))")))
            case .success(let r) where !(200..<300).contains(r.status):
                done(.failure(PluginError(.unavailable, "Chroma refused to describe collection '\(collection)': HTTP \(r.status): \(Self.chromaMessage(r.body))")))
            case .success(let r):
                guard let o = try? JSONSerialization.jsonObject(with: r.body) as? [String: Any], let id = o["id"] as? String else {
                    done(.failure(PluginError(.badResponse, "Chroma's description of collection '\(collection)' has no id")))
                    return
                }
                let info = CollectionInfo(id: id, dimension: o["dimension"] as? Int)
                cache.lock()
                resolved = info
                cache.unlock()
                done(.success(info))
            }
        }
    }

    func retrieve(_ request: RetrieveRequest, sink: CallSink, completion: @escaping (Result<Void, PluginError>) -> Void) {
        guard !request.queryVector.isEmpty else {
            completion(.failure(PluginError(.unavailable, "the Chroma retriever needs query vectors: enable an embedder manifest (the model the collection '\(collection)' was built with)")))
            return
        }
        let remaining = sink.remainingMilliseconds.map { Int(min($0, UInt64(Int.max))) }
        let timeout = [timeoutMilliseconds, remaining].compactMap { $0 }.min()
        let state = PendingCall()
        func finish(_ r: Result<Void, PluginError>) { state.complete { completion(r) } }
        let first = resolve(timeout: timeout, sink: sink) { [self] resolved in
            switch resolved {
            case .failure(let e): finish(.failure(e))
            case .success(let info):
                if let d = info.dimension, d != request.queryVector.count {
                    finish(.failure(PluginError(.invalidArgument, "dimension mismatch: Chroma collection '\(collection)' holds \(d)-dimension vectors, "
                                                + "the embedder (\(request.vectorModel)) gives \(request.queryVector.count); use the model the collection was built with")))
                    return
                }
                let body: [String: Any] = ["query_embeddings": [request.queryVector.map { Double($0) }], "n_results": max(1, request.topK),
                                           "include": ["documents", "metadatas", "distances"]]
                let transfer = CurlHTTPClient.shared.fetch(self.request("\(base)/\(info.id)/query", method: "POST", body: body, timeout: timeout)) { result in
                    switch result {
                    case .failure(let f): finish(.failure(Self.failure(f)))
                    case .success(let r) where !(200..<300).contains(r.status):
                        let message = Self.chromaMessage(r.body)
                        if message.lowercased().contains("dimension") {
                            finish(.failure(PluginError(.invalidArgument, "dimension mismatch: Chroma says \"\(message)\"; the embedder (\(request.vectorModel)) gives \(request.queryVector.count) dimensions")))
                        } else {
                            if r.status == 404 { self.forget() }  // the collection was dropped and maybe re-created
                            finish(.failure(PluginError(.unavailable, "Chroma query on '\(self.collection)' failed: HTTP \(r.status): \(message)")))
                        }
                    case .success(let r):
                        do {
                            for p in try self.passages(r.body) {
                                guard state.whilePending({ (try? sink.emit(passage: p)) != nil }) == true else { return finish(.failure(.cancelled)) }
                            }
                            finish(.success(()))
                        } catch let e as PluginError {
                            finish(.failure(e))
                        } catch {
                            finish(.failure(PluginError(.badResponse, "\(error)")))
                        }
                    }
                }
                PendingCall.watch(state, sink: sink, transfer: transfer)
            }
        }
        if let first { PendingCall.watch(state, sink: sink, transfer: first) }
    }

    private func forget() {
        cache.lock()
        resolved = nil
        cache.unlock()
    }

    /// A query response (lists of lists: one per query embedding) as passages, best first.
    func passages(_ body: Data) throws -> [RetrievedPassage] {
        guard let o = try? JSONSerialization.jsonObject(with: body) as? [String: Any], let ids = (o["ids"] as? [[Any]])?.first else {
            throw PluginError(.badResponse, "Chroma's query response has no \"ids\"")
        }
        let documents = (o["documents"] as? [[Any]])?.first ?? []
        let metadatas = (o["metadatas"] as? [[Any]])?.first ?? []
        let distances = (o["distances"] as? [[Any]])?.first ?? []
        var out: [RetrievedPassage] = []
        for (i, rawID) in ids.enumerated() {
            let content = i < documents.count ? documents[i] as? String ?? "" : ""
            let meta = i < metadatas.count ? metadatas[i] as? [String: Any] ?? [:] : [:]
            let distance = i < distances.count ? (distances[i] as? NSNumber)?.doubleValue ?? 0 : 0
            func text(_ key: String) -> String {
                guard let v = meta[key] else { return "" }
                return v as? String ?? "\(v)"
            }
            let language = Language(tag: text(languageKey)) ?? LanguageDetector.detect(content)
            out.append(RetrievedPassage(id: rawID as? String ?? "\(rawID)", title: text(titleKey), content: content, source: text(sourceKey),
                                        language: language.rawValue, score: ((1 - distance) * 1000).rounded() / 1000))
        }
        return out
    }

    // MARK: status, warm-up (blocking: host threads)

    private func blockingStatus(sink: CallSink) throws -> String {
        forget()
        let done = DispatchSemaphore(value: 0)
        var outcome: Result<CollectionInfo, PluginError>?
        _ = resolve(timeout: timeoutMilliseconds, sink: sink) { outcome = $0; done.signal() }
        done.wait()
        let info = try outcome!.get()
        var count: Int?
        _ = CurlHTTPClient.shared.fetch(request("\(base)/\(info.id)/count", timeout: timeoutMilliseconds)) { result in
            if case .success(let r) = result, (200..<300).contains(r.status) {
                count = Int(String(decoding: r.body, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines))
            }
            done.signal()
        }
        done.wait()
        if count == 0 { throw PluginError(.unavailable, "the Chroma collection '\(collection)' is empty") }
        let dims = info.dimension.map { ", \($0) dimensions" } ?? ""
        return "Chroma collection \(collection) ready (\(count.map(String.init) ?? "?") records\(dims))"
    }

    func status(sink: CallSink) throws -> String { try blockingStatus(sink: sink) }
    func initialize(sink: CallSink) throws -> String { try blockingStatus(sink: sink) }
    func warmup(sink: CallSink) throws -> String { try blockingStatus(sink: sink) }
}

private let export = PluginExport.asyncRetriever(
    id: "tonehost.retriever.chroma", version: "1.0", description: "An existing ChromaDB collection (Chroma HTTP API v2)") { host, config in
    try ChromaRetriever(host: host, config: config)
}

@_cdecl("tonehost_plugin_entry")
public func tonehostPluginEntry() -> UnsafeRawPointer { export.descriptor }
