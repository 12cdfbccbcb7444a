import CSQLite
import CVectorScan
import Foundation
import SQLiteSupport
import TonehostText
import TonehostTypes

/// Dense vectors in the store. A passage's vector is kept under the hash of its title and
/// content (`passages.text_hash` → `embeddings`), so a re-ingested file whose passages did not
/// change keeps their vectors, and an interrupted embedding run resumes with the passages
/// still missing one. One model per store: `embedding_model` records its identity and
/// dimension, and vectors of another model are refused until `reembed` starts over.
enum Vectors {
    static func createSchema(_ db: SQLiteConnection) throws {
        try db.exec("""
            CREATE TABLE IF NOT EXISTS embeddings(
                text_hash TEXT PRIMARY KEY,     -- passages.text_hash
                vector BLOB NOT NULL            -- float32, little-endian, `dimension` values
            ) WITHOUT ROWID;
            CREATE TABLE IF NOT EXISTS embedding_model(
                id INTEGER PRIMARY KEY CHECK (id = 1),
                model TEXT NOT NULL,            -- the embedder's identity, e.g. "ollama:bge-m3"
                dimension INTEGER NOT NULL,
                created_at REAL NOT NULL);
            CREATE INDEX IF NOT EXISTS passages_by_text_hash ON passages(text_hash);
            INSERT OR IGNORE INTO meta(key, value) VALUES('content_version', 0);
            """)
    }

    /// The key of a passage's vector.
    static func textHash(title: String, content: String) -> String {
        String(SHA256Digest.hex(title + "\u{1F}" + content).prefix(32))
    }

    /// What is embedded for a passage: its title, then its content.
    static func embeddingText(title: String, content: String) -> String {
        title.isEmpty ? content : title + "\n" + content
    }

    /// Every write that changes what a search may see bumps this (the vector index rebuilds).
    static func bumpContentVersion(_ db: SQLiteConnection) throws {
        try db.exec("UPDATE meta SET value = value + 1 WHERE key = 'content_version'")
    }

    static func encode(_ values: [Float]) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: values.count * 4)
        for (i, v) in values.enumerated() {
            let bits = v.bitPattern.littleEndian
            out[i * 4] = UInt8(truncatingIfNeeded: bits)
            out[i * 4 + 1] = UInt8(truncatingIfNeeded: bits >> 8)
            out[i * 4 + 2] = UInt8(truncatingIfNeeded: bits >> 16)
            out[i * 4 + 3] = UInt8(truncatingIfNeeded: bits >> 24)
        }
        return out
    }
}

/// The model a store's vectors were made with.
public struct EmbeddingModelInfo: Sendable, Equatable {
    public var model: String
    public var dimension: Int

    public init(model: String, dimension: Int) {
        self.model = model
        self.dimension = dimension
    }
}

/// What an embedding run did.
public struct EmbeddingSummary: Sendable {
    /// Passages (distinct texts) embedded in this run.
    public var embedded: Int = 0
    /// Passages that already had a vector of the store's model.
    public var reused: Int = 0
    /// Vectors dropped because no passage has their text any more.
    public var dropped: Int = 0
    public var seconds: Double = 0
}

/// How the two rankings are fused (reciprocal rank fusion): a passage scores
/// `lexical / (k + lexical rank) + vector / (k + vector rank)`.
public struct HybridWeights: Sendable, Equatable {
    public var lexical: Double
    public var vector: Double
    public var k: Double

    public init(lexical: Double = 1, vector: Double = 1, k: Double = 60) {
        self.lexical = lexical
        self.vector = vector
        self.k = k
    }
}

/// A search's passages and whether the vectors took part (and why not).
public struct HybridResult: Sendable {
    public var passages: [Passage]
    public var usedVectors: Bool
    /// Why the vectors were left out ("the store's vectors were made by …"), nil when used or not asked.
    public var note: String?
}

extension KnowledgeStore {
    /// The model of the stored vectors, nil when the store has none.
    public func embeddingModel() throws -> EmbeddingModelInfo? {
        try withReader { db in try Self.embeddingModel(db) }
    }

    static func embeddingModel(_ db: SQLiteConnection) throws -> EmbeddingModelInfo? {
        let stmt = try db.prepare("SELECT model, dimension FROM embedding_model WHERE id = 1")
        defer { stmt.reset() }
        return try stmt.step() ? EmbeddingModelInfo(model: stmt.text(0), dimension: Int(stmt.int(1))) : nil
    }

    /// Passages (distinct texts) without a vector.
    public func passagesWithoutVector() throws -> Int {
        try withReader { db in
            Int(try db.scalarInt("""
                SELECT count(DISTINCT p.text_hash) FROM passages p
                WHERE NOT EXISTS (SELECT 1 FROM embeddings e WHERE e.text_hash = p.text_hash)
                """) ?? 0)
        }
    }

    /// Passages that have a vector.
    public func passagesWithVector() throws -> Int {
        try withReader { db in
            Int(try db.scalarInt("SELECT count(*) FROM passages p JOIN embeddings e ON e.text_hash = p.text_hash") ?? 0)
        }
    }

    /// Throws when the store's vectors were made by another model than `model` (or with another
    /// dimension): the error says to run `tonehost reembed`.
    public func checkEmbeddingModel(_ model: String, dimension: Int) throws {
        guard let stored = try embeddingModel() else { return }
        if stored.model != model || stored.dimension != dimension {
            throw KnowledgeStoreError(path: path, reason: "the store's vectors were made by \(stored.model) (\(stored.dimension) dimensions), "
                                      + "the active embedder is \(model) (\(dimension) dimensions); run `tonehost reembed` to rebuild them with the new model")
        }
    }

    /// Embeds every passage that has no vector yet, `batchSize` texts per `embed` call, each
    /// batch committed on its own (an interrupted run loses at most one batch; the next run
    /// goes on from there). `progress(done, total)` after each batch. Vectors whose text no
    /// passage has any more are dropped at the end. Blocking: run it on a thread that may wait.
    public func embedMissing(batchSize: Int = 32, embed: ([String]) throws -> [Embedding],
                             progress: ((_ done: Int, _ total: Int) -> Void)? = nil) throws -> EmbeddingSummary {
        let start = Date()
        var summary = EmbeddingSummary()
        let total = try passagesWithoutVector()
        summary.reused = try passagesWithVector()
        var done = 0
        var after = ""  // batches go in hash order: everything up to here has a vector now
        while true {
            let batch: [(hash: String, text: String)] = try withReader { db in
                let stmt = try db.prepare("""
                    SELECT p.text_hash, min(p.title), min(p.content) FROM passages p
                    WHERE p.text_hash > ? AND NOT EXISTS (SELECT 1 FROM embeddings e WHERE e.text_hash = p.text_hash)
                    GROUP BY p.text_hash ORDER BY p.text_hash LIMIT ?
                    """)
                defer { stmt.reset() }
                try stmt.bind(.text(after), .int(Int64(max(1, batchSize))))
                var rows: [(String, String)] = []
                while try stmt.step() {
                    rows.append((stmt.text(0), Vectors.embeddingText(title: stmt.text(1), content: stmt.text(2))))
                }
                return rows
            }
            if batch.isEmpty { break }
            let vectors = try embed(batch.map(\.text))
            guard vectors.count == batch.count else {
                throw KnowledgeStoreError(path: path, reason: "the embedder returned \(vectors.count) vectors for \(batch.count) passages")
            }
            guard let first = vectors.first, !first.values.isEmpty, vectors.allSatisfy({ $0.model == first.model && $0.values.count == first.values.count }) else {
                throw KnowledgeStoreError(path: path, reason: "the embedder returned empty vectors or vectors of mixed models or dimensions")
            }
            try writeVectors(zip(batch, vectors).map { ($0.0.hash, $0.1) }, model: first.model, dimension: first.values.count)
            done += batch.count
            after = batch.last!.hash
            progress?(done, total)
        }
        summary.embedded = done
        writeLock.lock()
        defer { writeLock.unlock() }
        do {
            try writer.transaction {
                try writer.exec("DELETE FROM embeddings WHERE text_hash NOT IN (SELECT text_hash FROM passages)")
                summary.dropped = writer.changes
                if summary.dropped > 0 { try Vectors.bumpContentVersion(writer) }
            }
        } catch let error as SQLiteError {
            throw KnowledgeStoreError(path: path, reason: "dropping stale vectors failed: \(Self.explain(error))")
        }
        summary.seconds = Date().timeIntervalSince(start)
        return summary
    }

    private func writeVectors(_ items: [(hash: String, embedding: Embedding)], model: String, dimension: Int) throws {
        writeLock.lock()
        defer { writeLock.unlock() }
        do {
            try writer.transaction {
                if let stored = try Self.embeddingModel(writer) {
                    if stored.model != model || stored.dimension != dimension {
                        throw KnowledgeStoreError(path: path, reason: "the store's vectors were made by \(stored.model) (\(stored.dimension) dimensions), "
                                                  + "the embedder gives \(model) (\(dimension) dimensions); run `tonehost reembed` to rebuild them with the new model")
                    }
                } else {
                    try writer.prepare("INSERT INTO embedding_model(id, model, dimension, created_at) VALUES(1, ?, ?, ?)")
                        .run(.text(model), .int(Int64(dimension)), .double(Date().timeIntervalSince1970))
                }
                let insert = try writer.prepare("INSERT OR REPLACE INTO embeddings(text_hash, vector) VALUES(?, ?)")
                for item in items { try insert.run(.text(item.hash), .blob(Vectors.encode(item.embedding.values))) }
                try Vectors.bumpContentVersion(writer)
            }
        } catch let error as SQLiteError {
            throw KnowledgeStoreError(path: path, reason: "storing vectors failed: \(Self.explain(error))")
        }
    }

    /// Drops every vector and the recorded model (`tonehost reembed`, before embedding anew).
    public func clearVectors() throws {
        writeLock.lock()
        defer { writeLock.unlock() }
        do {
            try writer.transaction {
                try writer.exec("DELETE FROM embeddings; DELETE FROM embedding_model;")
                try Vectors.bumpContentVersion(writer)
            }
        } catch let error as SQLiteError {
            throw KnowledgeStoreError(path: path, reason: "clearing vectors failed: \(Self.explain(error))")
        }
    }

    /// Hybrid search: the lexical ranking and, when `vector` is given and the store holds
    /// vectors of the same model, the vector-similarity ranking, fused by reciprocal rank.
    /// Without usable vectors it is exactly `search` (the note says why they were not used).
    public func search(_ query: String, language: Language?, topK: Int = 6, vector: Embedding?,
                       weights: HybridWeights = HybridWeights()) throws -> HybridResult {
        guard topK > 0 else { return HybridResult(passages: [], usedVectors: false) }
        guard let vector, !vector.values.isEmpty else {
            return HybridResult(passages: try search(query, language: language, topK: topK), usedVectors: false)
        }
        let terms = Terms.query(query)
        let overview = Terms.asksForOverview(query)
        do {
            return try withReader { db in
                try db.transaction(immediate: false) {
                    let index: VectorIndex?
                    var note: String?
                    switch try vectorIndex.current(db) {
                    case .none:
                        index = nil
                        note = "the store has no vectors yet (run `tonehost ingest` or `tonehost reembed` with the embedder active)"
                    case .some(let i) where i.model != vector.model || i.dimension != vector.values.count:
                        index = nil
                        note = "the store's vectors were made by \(i.model) (\(i.dimension) dimensions), the query by \(vector.model) "
                            + "(\(vector.values.count) dimensions); run `tonehost reembed`"
                    case .some(let i):
                        index = i
                    }
                    // The vector scan runs on the store's own worker thread while this one ranks
                    // lexically (inline when the worker is busy with another search's scan).
                    let values = vector.values
                    let scan = index.flatMap { i in hybridWorker.start { i.nearest(values, count: Self.candidateCount) } }
                    let lexical = try Self.lexicalCandidates(db, terms: terms, asksForOverview: overview, language: language,
                                                             index: try currentLexicalIndex(db))
                    guard let index else {
                        let rows = lexical.prefix(topK).map { ($0.rowid, $0.score, $0.language) }
                        return HybridResult(passages: try Self.fetch(db, rows), usedVectors: false, note: note)
                    }
                    let nearest = scan?.wait() ?? index.nearest(values, count: Self.candidateCount)
                    var fused: [Int64: Double] = [:]
                    var languageOf: [Int64: Language] = [:]
                    for (rank, c) in lexical.enumerated() where weights.lexical > 0 {
                        fused[c.rowid, default: 0] += weights.lexical / (weights.k + Double(rank + 1))
                    }
                    for c in lexical { languageOf[c.rowid] = c.language }
                    for (rank, n) in nearest.enumerated() where weights.vector > 0 {
                        fused[n.rowid, default: 0] += weights.vector / (weights.k + Double(rank + 1))
                    }
                    let order = fused.sorted { $0.value != $1.value ? $0.value > $1.value : $0.key < $1.key }.prefix(topK)
                    let rows = order.map { ($0.key, $0.value * 1000, languageOf[$0.key] ?? .english) }
                    return HybridResult(passages: try Self.fetch(db, rows), usedVectors: true)
                }
            }
        } catch let error as SQLiteError {
            throw KnowledgeStoreError(path: path, reason: "search failed: \(Self.explain(error))")
        }
    }
}

/// The store's vectors in memory, quantised to int8 (one scale per row) in one contiguous
/// block, scanned brute force. Immutable; `VectorIndexCache` swaps in a new one when the
/// store's `content_version` moves.
final class VectorIndex: @unchecked Sendable {
    let model: String
    let dimension: Int
    let version: Int64
    let rowids: [Int64]
    private let rows: [Int8]
    private let scales: [Float]
    /// The first `coarseDimensions` values of every row, contiguous (the first pass streams it).
    private let coarse: [Int8]

    var count: Int { rowids.count }
    /// Bytes held (rows + their coarse prefixes + scales + ids).
    var memoryBytes: Int { rows.count + coarse.count + scales.count * 4 + rowids.count * 8 }

    init(model: String, dimension: Int, version: Int64, rowids: [Int64], rows: [Int8], scales: [Float]) {
        self.model = model
        self.dimension = dimension
        self.version = version
        self.rowids = rowids
        self.rows = rows
        self.scales = scales
        let n = rowids.count, c = Self.coarseDimensions
        if n >= Self.twoPassRows && dimension >= 2 * c {
            var prefixes = [Int8](repeating: 0, count: n * c)
            for i in 0..<n { for j in 0..<c { prefixes[i * c + j] = rows[i * dimension + j] } }
            coarse = prefixes
        } else {
            coarse = []
        }
    }

    /// Unit-length `values` quantised to int8: (codes, scale) with value ≈ code × scale.
    static func quantize(_ values: UnsafeBufferPointer<Float>, into codes: UnsafeMutableBufferPointer<Int8>) -> Float {
        var norm: Float = 0
        var peak: Float = 0
        for v in values { norm += v * v; peak = max(peak, abs(v)) }
        norm = norm.squareRoot()
        guard norm > 0, peak > 0 else {
            for i in codes.indices { codes[i] = 0 }
            return 0
        }
        let factor = 127 / peak
        for i in 0..<values.count { codes[i] = Int8(clamping: Int((values[i] * factor).rounded())) }
        return peak / (127 * norm)
    }

    /// Reads every passage's vector (model `model`) into a new index.
    static func load(_ db: SQLiteConnection, model: EmbeddingModelInfo, version: Int64) throws -> VectorIndex {
        let count = Int(try db.scalarInt("SELECT count(*) FROM passages p JOIN embeddings e ON e.text_hash = p.text_hash") ?? 0)
        let dim = model.dimension
        var rowids: [Int64] = []
        rowids.reserveCapacity(count)
        var rows = [Int8](repeating: 0, count: count * dim)
        var scales: [Float] = []
        scales.reserveCapacity(count)
        let stmt = try db.prepare("SELECT p.id, e.vector FROM passages p JOIN embeddings e ON e.text_hash = p.text_hash ORDER BY p.id")
        defer { stmt.reset() }
        var floats = [Float](repeating: 0, count: dim)
        try rows.withUnsafeMutableBufferPointer { block in
            while try stmt.step(), rowids.count < count {
                let ok = stmt.withBlob(1) { raw -> Bool in
                    guard raw.count == dim * 4 else { return false }
                    floats.withUnsafeMutableBytes { $0.copyMemory(from: raw) }
                    return true
                }
                guard ok else { continue }  // a vector of another size: never written (writeVectors checks)
                let at = rowids.count
                let scale = floats.withUnsafeBufferPointer { f in
                    quantize(f, into: UnsafeMutableBufferPointer(rebasing: block[(at * dim)..<((at + 1) * dim)]))
                }
                rowids.append(stmt.int(0))
                scales.append(scale)
            }
        }
        rows.removeLast(rows.count - rowids.count * dim)
        return VectorIndex(model: model.model, dimension: dim, version: version, rowids: rowids, rows: rows, scales: scales)
    }

    /// Rows beyond which the scan goes in two passes: the first `coarseDimensions` values of
    /// every row pick `coarseCandidates` rows, which are then scored on all their values.
    static let twoPassRows = 20_000
    static let coarseDimensions = 256
    static let coarseCandidates = 1000

    /// The `count` rows most similar (cosine) to `query`, best first. Big stores of long vectors
    /// are scanned in two passes (a quarter of each 1024-dim row first): memory traffic, not
    /// arithmetic, bounds a brute-force scan.
    func nearest(_ query: [Float], count k: Int) -> [(rowid: Int64, similarity: Float)] {
        guard query.count == dimension, !rowids.isEmpty, k > 0 else { return [] }
        var codes = [Int8](repeating: 0, count: dimension)
        let queryScale = query.withUnsafeBufferPointer { q in codes.withUnsafeMutableBufferPointer { Self.quantize(q, into: $0) } }
        let n = rowids.count
        if !coarse.isEmpty {
            let first = scan(coarse, stride: Self.coarseDimensions, codes, prefix: Self.coarseDimensions)
            let candidates = Self.top(first, Swift.max(k, Self.coarseCandidates))
            var exact: [(Int, Float)] = []
            exact.reserveCapacity(candidates.count)
            rows.withUnsafeBufferPointer { block in
                codes.withUnsafeBufferPointer { q in
                    for (i, _) in candidates {
                        var s: Float = 0
                        tonehost_int8_scan(block.baseAddress! + i * dimension, scales.withUnsafeBufferPointer { $0.baseAddress! + i }, 1, dimension,
                                           q.baseAddress!, &s)
                        exact.append((i, s))
                    }
                }
            }
            exact.sort { $0.1 > $1.1 }
            return exact.prefix(k).map { (rowids[$0.0], $0.1 * queryScale) }
        }
        return Self.top(scan(rows, stride: dimension, codes, prefix: dimension), k).map { (rowids[$0.0], $0.1 * queryScale) }
    }

    /// Scaled int8 dot products of the first `prefix` values of every row of `block` (rows
    /// `stride` apart) with the query's.
    private func scan(_ block: [Int8], stride: Int, _ codes: [Int8], prefix: Int) -> [Float] {
        let n = rowids.count
        var scores = [Float](repeating: 0, count: n)
        // Split over the cores for big stores (each slice is a contiguous run of rows).
        let slices = n >= 20_000 ? min(ProcessInfo.processInfo.activeProcessorCount, 8) : 1
        let per = (n + slices - 1) / slices
        block.withUnsafeBufferPointer { block in
            scales.withUnsafeBufferPointer { scaleBlock in
                codes.withUnsafeBufferPointer { q in
                    scores.withUnsafeMutableBufferPointer { out in
                        let outBase = out.baseAddress!
                        DispatchQueue.concurrentPerform(iterations: slices) { s in
                            let lo = s * per, hi = min(n, lo + per)
                            guard lo < hi else { return }
                            tonehost_int8_scan_strided(block.baseAddress! + lo * stride, stride, scaleBlock.baseAddress! + lo, hi - lo,
                                                       prefix, q.baseAddress!, outBase + lo)
                        }
                    }
                }
            }
        }
        return scores
    }

    /// The indices of the `k` highest scores, best first (a min-heap of the best `k` so far).
    private static func top(_ scores: [Float], _ k: Int) -> [(Int, Float)] {
        var heap: [(Int, Float)] = []
        heap.reserveCapacity(k)
        func siftDown(_ start: Int) {
            var i = start
            while true {
                let l = 2 * i + 1, r = l + 1
                var m = i
                if l < heap.count && heap[l].1 < heap[m].1 { m = l }
                if r < heap.count && heap[r].1 < heap[m].1 { m = r }
                if m == i { return }
                heap.swapAt(i, m)
                i = m
            }
        }
        for (i, s) in scores.enumerated() {
            if heap.count < k {
                heap.append((i, s))
                var c = heap.count - 1
                while c > 0 {
                    let p = (c - 1) / 2
                    if heap[p].1 <= heap[c].1 { break }
                    heap.swapAt(p, c)
                    c = p
                }
            } else if s > heap[0].1 {
                heap[0] = (i, s)
                siftDown(0)
            }
        }
        return heap.sorted { $0.1 != $1.1 ? $0.1 > $1.1 : $0.0 < $1.0 }
    }
}

/// The current `VectorIndex` of a store: rebuilt (once, others wait) when `content_version` moved.
final class VectorIndexCache: @unchecked Sendable {
    private let lock = NSLock()
    private var index: VectorIndex?
    private var builtFor: Int64 = -1

    /// The index for the store as `db` sees it; nil when the store has no vectors.
    func current(_ db: SQLiteConnection) throws -> VectorIndex? {
        let version = try db.scalarInt("SELECT value FROM meta WHERE key = 'content_version'") ?? 0
        lock.lock()
        defer { lock.unlock() }
        if builtFor == version { return index }
        if let model = try KnowledgeStore.embeddingModel(db) {
            index = try VectorIndex.load(db, model: model, version: version)
            if index?.count == 0 { index = nil }
        } else {
            index = nil
        }
        builtFor = version
        return index
    }

    /// Bytes of the index in memory (0 before the first hybrid search).
    var memoryBytes: Int {
        lock.lock()
        defer { lock.unlock() }
        return index?.memoryBytes ?? 0
    }
}

extension KnowledgeStore {
    /// Builds the vector index now (otherwise the first hybrid search does); returns its size
    /// in bytes (0: no vectors).
    @discardableResult
    public func loadVectorIndex() throws -> Int {
        try withReader { db in try db.transaction(immediate: false) { _ = try vectorIndex.current(db) } }
        return vectorIndex.memoryBytes
    }
}

/// One thread the store owns for the vector half of hybrid searches (never Swift's cooperative
/// pool): `start` hands it a job and returns at once, or returns nil when the thread is busy
/// (the caller then runs the job itself).
final class HybridWorker: @unchecked Sendable {
    final class Job: @unchecked Sendable {
        let work: () -> [(rowid: Int64, similarity: Float)]
        var result: [(rowid: Int64, similarity: Float)]?
        let done = DispatchSemaphore(value: 0)
        init(_ work: @escaping () -> [(rowid: Int64, similarity: Float)]) { self.work = work }
        func wait() -> [(rowid: Int64, similarity: Float)] {
            done.wait()
            return result ?? []
        }
    }

    private let condition = NSCondition()
    private var pending: Job?
    private var busy = false
    private var started = false

    func start(_ work: @escaping () -> [(rowid: Int64, similarity: Float)]) -> Job? {
        condition.lock()
        defer { condition.unlock() }
        if busy { return nil }
        busy = true
        let job = Job(work)
        pending = job
        if !started {
            started = HostThread.start("tonehost-vector") { [self] in run() }
        }
        condition.signal()
        return job
    }

    /// Jobs until none came for 5 s; then the thread ends (the next `start` makes a new one).
    private func run() {
        while true {
            condition.lock()
            while pending == nil {
                if !condition.wait(until: Date().addingTimeInterval(5)) && pending == nil {
                    started = false
                    condition.unlock()
                    return
                }
            }
            let job = pending!
            pending = nil
            condition.unlock()
            job.result = job.work()
            condition.lock()
            busy = false
            condition.unlock()
            job.done.signal()
        }
    }
}
