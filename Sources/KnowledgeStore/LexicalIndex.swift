import CSQLite
import Foundation
import SQLiteSupport

/// The postings of the store's common terms in memory: an exact accelerator for the first
/// lexical stage (`tonehost_rank`'s score), so a query with common terms does not make FTS5 visit
/// every row that has them.
///
/// **What it holds.** Every term in at least `minimumDocuments(total:)` passages (read from the
/// FTS5 index itself at build time: its vocabulary, then one MATCH per term), as a list of
/// (passage, weighted tf = 2·title + body, in-title flag), 6 bytes a posting, plus each passage's
/// bm25 length norm. It is built for one `content_version` of the store and used only while the
/// store is at that version (a write makes searches fall back to FTS5 until a rebuild is done).
///
/// **How a query uses it.** The query's match terms are sorted rarest first; the longest run at
/// the end of that list whose terms are all in memory (the common ones) is scored here, the rare
/// ones before it through FTS5 (`tonehost_partial`: few rows). Each passage's sums are taken term
/// by term in the same order as `tonehost_rank` takes them, with the same formulas, so every
/// score is bit for bit the one FTS5 would give and the top candidates are the same; the
/// common terms cost a few nanoseconds a posting instead of a trip through FTS5 a row.
final class LexicalIndex: @unchecked Sendable {
    let version: Int64
    /// Passage rowids, ascending; a passage's dense number is its position here.
    let rowids: [Int64]
    /// bm25 length norm of each passage, k1·(1 − b + b·length/average) (NaN: in no posting list).
    let norms: [Double]
    /// Term → number of its posting list.
    let terms: [String: Int32]
    /// Posting list i is postings[offsets[i] ..< offsets[i + 1]].
    let offsets: [Int32]
    let postingDocs: [Int32]
    /// Weighted tf (2·title + body) in the low 15 bits, bit 15 set when the title has the term.
    let postingTF: [UInt16]
    let minimumDocuments: Int

    private let scratchLock = NSLock()
    private var idleScratch: [LexicalScratch] = []

    var termCount: Int { terms.count }
    var postingCount: Int { postingDocs.count }
    /// Bytes held (postings, offsets, per-passage arrays, an estimate for the term table).
    var memoryBytes: Int {
        postingDocs.count * 4 + postingTF.count * 2 + offsets.count * 4 + rowids.count * 8 + norms.count * 8
            + terms.count * 48
    }

    fileprivate init(version: Int64, rowids: [Int64], norms: [Double], terms: [String: Int32], offsets: [Int32],
                     postingDocs: [Int32], postingTF: [UInt16], minimumDocuments: Int) {
        self.version = version
        self.rowids = rowids
        self.norms = norms
        self.terms = terms
        self.offsets = offsets
        self.postingDocs = postingDocs
        self.postingTF = postingTF
        self.minimumDocuments = minimumDocuments
    }

    /// Terms in fewer passages than this stay in FTS5 only (they are cheap there).
    static func minimumDocuments(total: Int) -> Int { max(8, total / 1000) }

    /// Number of passages with `term`, nil when the term is not held here.
    func documentFrequency(_ term: String) -> Int? {
        guard let t = terms[term] else { return nil }
        return Int(offsets[Int(t) + 1] - offsets[Int(t)])
    }

    /// Dense number of a rowid (binary search), nil when the index does not know it.
    func dense(_ rowid: Int64) -> Int? {
        var lo = 0, hi = rowids.count
        while lo < hi {
            let mid = (lo + hi) / 2
            if rowids[mid] < rowid { lo = mid + 1 } else { hi = mid }
        }
        return lo < rowids.count && rowids[lo] == rowid ? lo : nil
    }

    func takeScratch() -> LexicalScratch {
        scratchLock.lock()
        let s = idleScratch.popLast()
        scratchLock.unlock()
        return s ?? LexicalScratch(count: rowids.count)
    }

    func giveBack(_ scratch: LexicalScratch) {
        scratchLock.lock()
        if idleScratch.count < 8 { idleScratch.append(scratch) }
        scratchLock.unlock()
    }

    // MARK: Building

    /// Builds the index from the store as `db` sees it (call inside a read transaction, so the
    /// version, vocabulary and postings are one snapshot). Nil when no term is common enough.
    static func build(_ db: SQLiteConnection) throws -> LexicalIndex? {
        let version = try db.scalarInt("SELECT value FROM meta WHERE key = 'content_version'") ?? 0
        let total = Int(try db.scalarInt("SELECT value FROM meta WHERE key='passages'") ?? 0)
        let minimum = minimumDocuments(total: total)
        var rowids: [Int64] = []
        rowids.reserveCapacity(total)
        let ids = try db.prepare("SELECT id FROM passages ORDER BY id")
        while try ids.step() { rowids.append(ids.int(0)) }
        ids.reset()
        if rowids.isEmpty { return nil }

        var common: [String] = []
        let vocabulary = try db.prepare("SELECT term FROM passages_vocab WHERE doc >= ?")
        try vocabulary.bind(.int(Int64(minimum)), at: 1)
        while try vocabulary.step() { common.append(vocabulary.text(0)) }
        vocabulary.reset()
        if common.isEmpty { return nil }

        let context = PostingContext(rowids: rowids)
        let statement = try db.prepare("""
            SELECT \(FTSRank.postingFunctionName)(passages_fts, ?2) FROM passages_fts WHERE passages_fts MATCH ?1
            """)
        var terms: [String: Int32] = [:]
        terms.reserveCapacity(common.count)
        var offsets: [Int32] = [0]
        var docs: [Int32] = []
        var tfs: [UInt16] = []
        try withExtendedLifetime(context) {
            for term in common {
                context.docs.removeAll(keepingCapacity: true)
                context.packed.removeAll(keepingCapacity: true)
                context.cursor = 0
                try statement.bind(.text(ftsPhrase(term)), at: 1)
                try statement.bindPointer(Unmanaged.passUnretained(context).toOpaque(), type: FTSRank.postingContextPointerType, at: 2)
                do {
                    while try statement.step() {}
                } catch {
                    statement.reset()
                    if let failure = context.failure { throw SQLiteError(code: SQLITE_CORRUPT, message: failure) }
                    throw error
                }
                statement.reset()
                // A term with a tf beyond 15 bits stays in FTS5 (never in practice: passages are chunked).
                if context.overflow { context.overflow = false; continue }
                if context.docs.isEmpty { continue }
                docs.append(contentsOf: context.docs)
                tfs.append(contentsOf: context.packed)
                terms[term] = Int32(offsets.count - 1)
                offsets.append(Int32(docs.count))
            }
        }
        var norms = [Double](repeating: .nan, count: rowids.count)
        if let average = context.averageLength {
            for d in norms.indices where context.lengths[d] >= 0 {
                norms[d] = RankContext.k1 * (1 - RankContext.b + RankContext.b * Double(context.lengths[d]) / average)
            }
        }
        if terms.isEmpty { return nil }
        return LexicalIndex(version: version, rowids: rowids, norms: norms, terms: terms, offsets: offsets,
                            postingDocs: docs, postingTF: tfs, minimumDocuments: minimum)
    }

    /// A term as an FTS5 phrase (quoted, quotes doubled): user text never becomes query syntax.
    static func ftsPhrase(_ term: String) -> String {
        "\"" + term.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }

    // MARK: Scoring

    /// One candidate of the first stage: its rowid and the figures `tonehost_rank` would give.
    struct Scored {
        var rowid: Int64
        var row: RankContext.Row
    }

    /// The best `capacity` rows for match terms `idf` (rarest first) whose terms from `split` on
    /// are held here (`common[j]` = posting list of term split + j); `rare` are the rows FTS5
    /// found for the terms before `split` with their partial sums. Best first (ties: lower rowid).
    /// Nil when a rare row is unknown to the index (it is then not the store's current state).
    func rank(idf: [Double], split: Int, common: [Int32], rare: PartialContext, capacity: Int,
              coverageWeight: Double, titleWeight: Double, bm25Weight: Double) -> [Scored]? {
        let scratch = takeScratch()
        defer { giveBack(scratch) }
        scratch.begin()
        let k1p1 = RankContext.k1 + 1
        var known = true
        scratch.sums.withUnsafeMutableBufferPointer { sums in
            scratch.epochs.withUnsafeMutableBufferPointer { epochs in
                let epoch = scratch.epoch
                for i in rare.rowids.indices {
                    guard let d = dense(rare.rowids[i]) else { known = false; return }
                    epochs[d] = epoch
                    scratch.touched.append(Int32(d))
                    sums[3 * d] = rare.anywhere[i]
                    sums[3 * d + 1] = rare.inTitle[i]
                    sums[3 * d + 2] = rare.bm25[i]
                }
                postingDocs.withUnsafeBufferPointer { docs in
                    postingTF.withUnsafeBufferPointer { tfs in
                        norms.withUnsafeBufferPointer { norms in
                            for (j, list) in common.enumerated() {
                                let w = idf[split + j]
                                let lo = Int(offsets[Int(list)]), hi = Int(offsets[Int(list) + 1])
                                for p in lo..<hi {
                                    let d = Int(docs[p])
                                    if epochs[d] != epoch {
                                        epochs[d] = epoch
                                        scratch.touched.append(Int32(d))
                                        sums[3 * d] = 0
                                        sums[3 * d + 1] = 0
                                        sums[3 * d + 2] = 0
                                    }
                                    let packed = tfs[p]
                                    // Same operations, in the same order, as tonehost_rank.
                                    sums[3 * d] += w
                                    if packed & 0x8000 != 0 { sums[3 * d + 1] += w }
                                    let tf = Double(packed & 0x7FFF)
                                    sums[3 * d + 2] += w * tf * k1p1 / (tf + norms[d])
                                }
                            }
                        }
                    }
                }
            }
        }
        if !known { return nil }
        let totalWeight = max(idf.reduce(0, +), 1e-9)
        // Min-heap of the best `capacity` (score, dense) so far; the worst on top.
        var heap: [(score: Double, d: Int32)] = []
        heap.reserveCapacity(capacity)
        func worse(_ a: (score: Double, d: Int32), _ b: (score: Double, d: Int32)) -> Bool {
            a.score != b.score ? a.score < b.score : a.d > b.d
        }
        scratch.sums.withUnsafeBufferPointer { sums in
            for d32 in scratch.touched {
                let d = Int(d32)
                let coverage = sums[3 * d] / totalWeight
                let titleCoverage = sums[3 * d + 1] / totalWeight
                let bm25 = sums[3 * d + 2]
                let base = coverageWeight * coverage + titleWeight * titleCoverage
                let score = base + bm25Weight * bm25 / (bm25 + RankContext.bm25Half)
                let item = (score: score, d: d32)
                if heap.count < capacity {
                    heap.append(item)
                    var c = heap.count - 1
                    while c > 0 {
                        let p = (c - 1) / 2
                        if !worse(heap[c], heap[p]) { break }
                        heap.swapAt(c, p)
                        c = p
                    }
                } else if worse(heap[0], item) {
                    heap[0] = item
                    var i = 0
                    while true {
                        let l = 2 * i + 1, r = l + 1
                        var m = i
                        if l < heap.count && worse(heap[l], heap[m]) { m = l }
                        if r < heap.count && worse(heap[r], heap[m]) { m = r }
                        if m == i { break }
                        heap.swapAt(i, m)
                        i = m
                    }
                }
            }
        }
        heap.sort { worse($1, $0) }
        return heap.map { item in
            let d = Int(item.d)
            let bm25 = scratch.sums[3 * d + 2]
            return Scored(rowid: rowids[d], row: RankContext.Row(coverage: scratch.sums[3 * d] / totalWeight,
                                                                 titleCoverage: scratch.sums[3 * d + 1] / totalWeight,
                                                                 bm25: bm25, score: item.score))
        }
    }
}

/// Per-search working memory of `LexicalIndex.rank` (reused: no large allocation per query).
final class LexicalScratch {
    /// Per passage: Σ idf present, Σ idf in the title, bm25 — valid where epochs[d] == epoch.
    var sums: [Double]
    var epochs: [UInt32]
    var epoch: UInt32 = 0
    var touched: [Int32] = []

    init(count: Int) {
        sums = [Double](repeating: 0, count: 3 * count)
        epochs = [UInt32](repeating: 0, count: count)
    }

    func begin() {
        touched.removeAll(keepingCapacity: true)
        if epoch == UInt32.max {
            for i in epochs.indices { epochs[i] = 0 }
            epoch = 0
        }
        epoch += 1
    }
}

/// Context of `tonehost_posting`: the store's rowids (ascending) and each passage's length once
/// known; for the current term, the dense numbers and packed tfs of its rows.
final class PostingContext {
    let rowids: [Int64]
    var lengths: [Int32]
    var docs: [Int32] = []
    var packed: [UInt16] = []
    var cursor = 0
    var averageLength: Double?
    var overflow = false
    var failure: String?

    init(rowids: [Int64]) {
        self.rowids = rowids
        lengths = [Int32](repeating: -1, count: rowids.count)
    }

    /// Dense number of `rowid`, searching forward from the last one (FTS5 gives rows in order).
    func dense(_ rowid: Int64) -> Int? {
        var lo = cursor, step = 1, hi = cursor
        while hi < rowids.count && rowids[hi] < rowid {
            lo = hi + 1
            hi += step
            step *= 2
        }
        hi = min(hi, rowids.count - 1)
        if lo > hi { return nil }
        while lo < hi {
            let mid = (lo + hi) / 2
            if rowids[mid] < rowid { lo = mid + 1 } else { hi = mid }
        }
        guard rowids[lo] == rowid else { return nil }
        cursor = lo
        return lo
    }
}

/// Context of `tonehost_partial`: for each row FTS5 matched (the rare terms), the sums of
/// `tonehost_rank` over those terms, in their order.
final class PartialContext {
    let idf: [Double]
    var rowids: [Int64] = []
    var anywhere: [Double] = []
    var inTitle: [Double] = []
    var bm25: [Double] = []
    var averageLength: Double?
    var failure: String?

    init(idf: [Double]) { self.idf = idf }
}

extension FTSRank {
    static let postingFunctionName = "tonehost_posting"
    static let partialFunctionName = "tonehost_partial"
    static let postingContextPointerType: UnsafePointer<CChar> = UnsafePointer(strdup("tonehost_posting_context")!)
    static let partialContextPointerType: UnsafePointer<CChar> = UnsafePointer(strdup("tonehost_partial_context")!)

    /// FTS5's average row length as `tonehost_rank` computes it.
    static func averageLength(_ api: Fts5ExtensionApi, _ fts: OpaquePointer) -> Double {
        var n: Int64 = 0, tokens: Int64 = 0
        _ = api.xRowCount!(fts, &n)
        _ = api.xColumnTotalSize!(fts, -1, &tokens)
        return n > 0 ? max(Double(tokens) / Double(n), 1) : 1
    }

    /// `tonehost_posting(passages_fts, ctx)` for a one-phrase MATCH: appends the row's rowid,
    /// weighted tf (+ title flag) and length to the context.
    static let postingFunction: fts5_extension_function = { api, fts, ctx, count, values in
        guard let api, let fts, count >= 1, let values,
              let raw = sqlite3_value_pointer(values[0], postingContextPointerType) else {
            sqlite3_result_error(ctx, "tonehost_posting: missing context", -1)
            return
        }
        let context = Unmanaged<PostingContext>.fromOpaque(raw).takeUnretainedValue()
        let x = api.pointee
        if context.averageLength == nil { context.averageLength = averageLength(x, fts) }
        var iterator = Fts5PhraseIter()
        var column: Int32 = -1, offset: Int32 = 0
        var title = 0, body = 0
        var rc = x.xPhraseFirst!(fts, 0, &iterator, &column, &offset)
        if rc != SQLITE_OK { context.failure = "tonehost_posting: xPhraseFirst failed (\(rc))"; sqlite3_result_error_code(ctx, rc); return }
        while column >= 0 {
            if column == 0 { title += 1 } else { body += 1 }
            x.xPhraseNext!(fts, &iterator, &column, &offset)
        }
        let rowid = x.xRowid!(fts)
        guard let d = context.dense(rowid) else {
            context.failure = "passages_fts row \(rowid) has no passage"
            sqlite3_result_error(ctx, "tonehost_posting: row without a passage", -1)
            return
        }
        if context.lengths[d] < 0 {
            // xColumnSize reads the row's docsize record: once per passage, not per posting.
            var length: Int32 = 0
            rc = x.xColumnSize!(fts, -1, &length)
            if rc != SQLITE_OK { context.failure = "tonehost_posting: xColumnSize failed (\(rc))"; sqlite3_result_error_code(ctx, rc); return }
            context.lengths[d] = length
        }
        let tf = 2 * title + body
        if tf > 0x7FFF { context.overflow = true }
        context.docs.append(Int32(d))
        context.packed.append(UInt16(truncatingIfNeeded: min(tf, 0x7FFF)) | (title > 0 ? 0x8000 : 0))
        sqlite3_result_null(ctx)
    }

    /// `tonehost_partial(passages_fts, ctx)`: `tonehost_rank`'s sums over the MATCH's phrases,
    /// no pruning, appended to the context (the common terms are added by `LexicalIndex.rank`).
    static let partialFunction: fts5_extension_function = { api, fts, ctx, count, values in
        guard let api, let fts, count >= 1, let values,
              let raw = sqlite3_value_pointer(values[0], partialContextPointerType) else {
            sqlite3_result_error(ctx, "tonehost_partial: missing context", -1)
            return
        }
        let context = Unmanaged<PartialContext>.fromOpaque(raw).takeUnretainedValue()
        let x = api.pointee
        let phrases = min(Int(x.xPhraseCount!(fts)), context.idf.count)
        var anywhere = 0.0, inTitle = 0.0
        var iterator = Fts5PhraseIter()
        var column: Int32 = -1
        for p in 0..<phrases {
            let rc = x.xPhraseFirstColumn!(fts, Int32(p), &iterator, &column)
            if rc != SQLITE_OK { context.failure = "tonehost_partial: xPhraseFirstColumn failed (\(rc))"; sqlite3_result_error_code(ctx, rc); return }
            var found = false
            while column >= 0 {
                found = true
                if column == 0 { inTitle += context.idf[p] }
                x.xPhraseNextColumn!(fts, &iterator, &column)
            }
            if found { anywhere += context.idf[p] }
        }
        if context.averageLength == nil { context.averageLength = averageLength(x, fts) }
        var length: Int32 = 0
        let rc = x.xColumnSize!(fts, -1, &length)
        if rc != SQLITE_OK { context.failure = "tonehost_partial: xColumnSize failed (\(rc))"; sqlite3_result_error_code(ctx, rc); return }
        let norm = RankContext.k1 * (1 - RankContext.b + RankContext.b * Double(length) / context.averageLength!)
        var bm25 = 0.0
        var offset: Int32 = 0
        for p in 0..<phrases {
            var tf = 0.0
            let rc = x.xPhraseFirst!(fts, Int32(p), &iterator, &column, &offset)
            if rc != SQLITE_OK { context.failure = "tonehost_partial: xPhraseFirst failed (\(rc))"; sqlite3_result_error_code(ctx, rc); return }
            while column >= 0 {
                tf += column == 0 ? 2 : 1
                x.xPhraseNext!(fts, &iterator, &column, &offset)
            }
            if tf > 0 { bm25 += context.idf[p] * tf * (RankContext.k1 + 1) / (tf + norm) }
        }
        context.rowids.append(x.xRowid!(fts))
        context.anywhere.append(anywhere)
        context.inTitle.append(inTitle)
        context.bm25.append(bm25)
        sqlite3_result_null(ctx)
    }
}

/// The current `LexicalIndex` of a store. Searches never wait for a build: when the index is
/// missing or stale they rank through FTS5 (same results) and a build starts on a thread of its
/// own, on a connection of its own (one at a time; after a build that came out stale, the next
/// waits as long as that build took, so a long ingest does not keep one core rebuilding).
final class LexicalIndexCache: @unchecked Sendable {
    private let lock = NSLock()
    private var index: LexicalIndex?
    private var building = false
    private var notBefore: Date = .distantPast
    /// Versions for which a build found no common term (nothing to do until the store changes).
    private var emptyFor: Int64?

    /// The index if it was built for `version`.
    func current(version: Int64) -> LexicalIndex? {
        lock.lock()
        defer { lock.unlock() }
        return index?.version == version ? index : nil
    }

    /// Starts a background build unless one runs, the index is current or not due yet.
    func refreshInBackground(version: Int64, open: @escaping @Sendable () throws -> SQLiteConnection) {
        lock.lock()
        if building || index?.version == version || emptyFor == version || Date() < notBefore {
            lock.unlock()
            return
        }
        building = true
        lock.unlock()
        let thread = Thread { [self] in
            let start = Date()
            var built: LexicalIndex?
            var builtVersion: Int64?
            var stale = false
            do {
                let db = try open()
                try db.transaction(immediate: false) {
                    builtVersion = try db.scalarInt("SELECT value FROM meta WHERE key = 'content_version'") ?? 0
                    built = try LexicalIndex.build(db)
                }
                let now = try db.scalarInt("SELECT value FROM meta WHERE key = 'content_version'") ?? 0
                stale = now != builtVersion
            } catch {
                stale = true  // the FTS5 path keeps working; retry after a pause
            }
            lock.lock()
            if let built { index = built } else if let builtVersion, !stale { emptyFor = builtVersion }
            building = false
            notBefore = stale ? Date().addingTimeInterval(max(1, Date().timeIntervalSince(start))) : .distantPast
            lock.unlock()
        }
        thread.name = "tonehost-lexical-index"
        thread.stackSize = 1 << 20
        thread.start()
    }

    /// Builds now on `db` (inside its read transaction) unless current.
    func load(_ db: SQLiteConnection, version: Int64) throws -> LexicalIndex? {
        if let current = current(version: version) { return current }
        let built = try LexicalIndex.build(db)
        lock.lock()
        if let built { index = built } else { emptyFor = version }
        lock.unlock()
        return built
    }

    var memoryBytes: Int {
        lock.lock()
        defer { lock.unlock() }
        return index?.memoryBytes ?? 0
    }

    var size: (terms: Int, postings: Int) {
        lock.lock()
        defer { lock.unlock() }
        return (index?.termCount ?? 0, index?.postingCount ?? 0)
    }
}
