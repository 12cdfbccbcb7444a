import TonehostTypes
import CSQLite
import Foundation
import SQLiteSupport
import TonehostText

/// The postings of the store's common terms in memory: an exact accelerator for the first
/// lexical stage (`tonehost_rank`'s score), so a query with common terms does not make FTS5 visit
/// every row that has them.
///
/// **What it holds.** Every term when the vocabulary is small (`holdEveryTermUpTo`), else every
/// term in at least `minimumDocuments(total:)` passages (read from the
/// FTS5 index itself at build time: its vocabulary, then one MATCH per term), as a list of
/// (passage, weighted tf = 2·title + body, in-title flag), 6 bytes a posting, plus each passage's
/// bm25 length norm. It is built for one `lexical_version` of the store (bumped by triggers on
/// every insert and delete of a passage, whichever process makes it; vectors do not move it) and
/// used only while the store is at that version (a write makes searches fall back to FTS5 until
/// a rebuild is done).
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
    /// Language and title of each passage (the re-ranking's details, without a row lookup).
    let languages: [Language]
    let titles: [String]
    let minimumDocuments: Int

    private let scratchLock = NSLock()
    private var idleScratch: [LexicalScratch] = []

    var termCount: Int { terms.count }
    var postingCount: Int { postingDocs.count }
    /// Bytes held (postings, offsets, per-passage arrays, an estimate for the term table).
    var memoryBytes: Int {
        postingDocs.count * 4 + postingTF.count * 2 + offsets.count * 4 + rowids.count * 8 + norms.count * 8
            + terms.count * 48 + languages.count + titles.reduce(0) { $0 + 16 + ($1.utf8.count > 15 ? $1.utf8.count + 32 : 0) }
    }

    fileprivate init(version: Int64, rowids: [Int64], norms: [Double], terms: [String: Int32], offsets: [Int32],
                     postingDocs: [Int32], postingTF: [UInt16], languages: [Language], titles: [String], minimumDocuments: Int) {
        self.languages = languages
        self.titles = titles
        self.version = version
        self.rowids = rowids
        self.norms = norms
        self.terms = terms
        self.offsets = offsets
        self.postingDocs = postingDocs
        self.postingTF = postingTF
        self.minimumDocuments = minimumDocuments
    }

    static let versionQuery = "SELECT value FROM meta WHERE key = 'lexical_version'"

    /// The version key and its triggers (once per store; older tonehost builds writing the store
    /// fire them too, since triggers live in the database).
    static func createVersionTriggers(_ db: SQLiteConnection) throws {
        let present = try db.scalarInt("""
            SELECT count(*) FROM sqlite_master WHERE type = 'trigger' AND name IN ('passages_lexical_insert', 'passages_lexical_delete')
            """) ?? 0
        if present == 2, try db.scalarInt(versionQuery) != nil { return }
        try db.transaction {
            try db.exec("""
                INSERT OR IGNORE INTO meta(key, value) VALUES('lexical_version', 0);
                CREATE TRIGGER IF NOT EXISTS passages_lexical_insert AFTER INSERT ON passages
                BEGIN UPDATE meta SET value = value + 1 WHERE key = 'lexical_version'; END;
                CREATE TRIGGER IF NOT EXISTS passages_lexical_delete AFTER DELETE ON passages
                BEGIN UPDATE meta SET value = value + 1 WHERE key = 'lexical_version'; END;
                """)
        }
    }

    /// Terms in fewer passages than this stay in FTS5 only (they are cheap there)...
    static func minimumDocuments(total: Int) -> Int { max(8, total / 1000) }
    /// ...unless the whole vocabulary has at most this many terms: then every term is held (a
    /// kiosk's knowledge base of a few hundred passages: well under 1 MB of postings, built in
    /// a fraction of a second), and a query never reaches FTS5 — no MATCH for its rare terms,
    /// no vocabulary look-up per term: ~10 % of a `/query` answer's CPU on the bundled sample.
    static let holdEveryTermUpTo = 20_000

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
        let version = try db.scalarInt(LexicalIndex.versionQuery) ?? 0
        let total = Int(try db.scalarInt("SELECT value FROM meta WHERE key='passages'") ?? 0)
        var minimum = minimumDocuments(total: total)
        var rowids: [Int64] = []
        rowids.reserveCapacity(total)
        var languages: [Language] = []
        var titles: [String] = []
        languages.reserveCapacity(total)
        titles.reserveCapacity(total)
        let ids = try db.prepare("SELECT id, language, title FROM passages ORDER BY id")
        while try ids.step() {
            rowids.append(ids.int(0))
            languages.append(Language(rawValue: ids.text(1)) ?? .english)
            titles.append(ids.text(2))
        }
        ids.reset()
        if rowids.isEmpty { return nil }

        var common: [(term: String, df: Int)] = []
        let vocabulary = try db.prepare("SELECT term, doc FROM passages_vocab WHERE doc >= ?")
        // A small vocabulary is held whole (read up to one term past the bound to know).
        var holdsEveryTerm = true
        try vocabulary.bind(.int(1), at: 1)
        while try vocabulary.step() {
            if common.count == holdEveryTermUpTo { holdsEveryTerm = false; break }
            common.append((vocabulary.text(0), Int(vocabulary.int(1))))
        }
        vocabulary.reset()
        if holdsEveryTerm {
            minimum = 1
        } else {
            common.removeAll(keepingCapacity: true)
            try vocabulary.bind(.int(Int64(minimum)), at: 1)
            while try vocabulary.step() { common.append((vocabulary.text(0), Int(vocabulary.int(1)))) }
            vocabulary.reset()
        }
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
            for (term, df) in common {
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
                // A tf beyond 15 bits (never in practice: passages are chunked): no index, FTS5 ranks.
                if context.overflow { break }
                // Held only when MATCH "term" finds the rows fts5vocab counts (searches use this count
                // as the term's df); a term FTS5 would tokenize otherwise stays out, and a query with
                // it is then ranked inside FTS5 (held terms must be the commonest of a query).
                if context.docs.count != df { continue }
                docs.append(contentsOf: context.docs)
                tfs.append(contentsOf: context.packed)
                terms[term] = Int32(offsets.count - 1)
                offsets.append(Int32(docs.count))
            }
        }
        if context.overflow { return nil }
        var norms = [Double](repeating: .nan, count: rowids.count)
        if let average = context.averageLength {
            for d in norms.indices where context.lengths[d] >= 0 {
                norms[d] = RankContext.k1 * (1 - RankContext.b + RankContext.b * Double(context.lengths[d]) / average)
            }
        }
        if terms.isEmpty { return nil }
        return LexicalIndex(version: version, rowids: rowids, norms: norms, terms: terms, offsets: offsets,
                            postingDocs: docs, postingTF: tfs, languages: languages, titles: titles, minimumDocuments: minimum)
    }

    /// True when FTS5's unicode61 tokenizer makes exactly `term` of it, one token: ASCII
    /// lower-case letters and digits, or caseless letters (ideographs, kana, hangul — category
    /// Lo). Then the rows of MATCH "term" are the rows fts5vocab counts for it.
    static func isOneToken(_ term: String) -> Bool {
        !term.isEmpty && term.unicodeScalars.allSatisfy { s in
            switch s.value {
            case 0x30...0x39, 0x61...0x7A: return true
            case 0..<0x80: return false
            default: return s.properties.generalCategory == .otherLetter
            }
        }
    }

    /// A term as an FTS5 phrase (quoted, quotes doubled): user text never becomes query syntax.
    static func ftsPhrase(_ term: String) -> String {
        "\"" + term.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }

    // MARK: Scoring

    /// One candidate of the first stage: its rowid, dense number and the figures `tonehost_rank` would give.
    struct Scored {
        var rowid: Int64
        var dense: Int
        var row: RankContext.Row
    }

    /// The best `capacity` rows for match terms `idf` (rarest first) whose terms from `split` on
    /// are held here (`common[j]` = posting list of term split + j); `rare` are the rows FTS5
    /// found for the terms before `split` with their partial sums. Best first (ties: lower rowid).
    /// Nil when a rare row is unknown to the index (it is then not the store's current state).
    ///
    /// Term at a time, rarest first, so each passage's sums grow in `tonehost_rank`'s order. Before
    /// a long list, when at least `capacity` passages are scored: every sum only grows, so the
    /// `capacity`-th best score so far is a floor of the final cut; a passage none of whose terms
    /// came yet scores at most the bound of the terms left, and when that bound is below the floor
    /// (with a margin for rounding) the remaining lists only complete the passages already seen
    /// (a galloping merge) instead of visiting every posting (MaxScore).
    func rank(idf: [Double], split: Int, common: [Int32], rare: PartialRows, capacity: Int,
              coverageWeight: Double, titleWeight: Double, bm25Weight: Double) -> [Scored]? {
        let scratch = takeScratch()
        defer { giveBack(scratch) }
        scratch.begin()
        let k1p1 = RankContext.k1 + 1
        let totalWeight = max(idf.reduce(0, +), 1e-9)
        let epoch = scratch.epoch
        let sums = scratch.sums, epochs = scratch.epochs, touched = scratch.touched
        var count = 0
        for i in rare.dense.indices {
            let d = rare.dense[i]
            epochs[d] = epoch
            touched[count] = Int32(d)
            count += 1
            sums[3 * d] = rare.anywhere[i]
            sums[3 * d + 1] = rare.inTitle[i]
            sums[3 * d + 2] = rare.bm25[i]
        }
        @inline(__always) func score(_ d: Int) -> Double {
            let coverage = sums[3 * d] / totalWeight
            let titleCoverage = sums[3 * d + 1] / totalWeight
            let bm25 = sums[3 * d + 2]
            let base = coverageWeight * coverage + titleWeight * titleCoverage
            return base + bm25Weight * bm25 / (bm25 + RankContext.bm25Half)
        }
        var completing = false  // MaxScore: from here on, only passages already seen
        var sorted = false
        postingDocs.withUnsafeBufferPointer { docs in
            postingTF.withUnsafeBufferPointer { tfs in
                norms.withUnsafeBufferPointer { norms in
                    for (j, list) in common.enumerated() {
                        let w = idf[split + j]
                        let lo = Int(offsets[Int(list)]), hi = Int(offsets[Int(list) + 1])
                        if !completing && count >= capacity && hi - lo > count {
                            var left = 0.0
                            for r in (split + j)..<idf.count { left += idf[r] }
                            let bound = (coverageWeight + titleWeight) * left / totalWeight
                                + bm25Weight * (k1p1 * left) / (k1p1 * left + RankContext.bm25Half)
                            let floor = Self.top(capacity, count: count, touched: touched, score: score).first?.score ?? -.infinity
                            if bound + 1e-9 < floor - 1e-9 { completing = true }
                        }
                        if completing {
                            if !sorted {
                                var seen = UnsafeMutableBufferPointer(start: touched, count: count)
                                seen.sort()
                                sorted = true
                            }
                            // Galloping merge of the sorted seen passages with the posting list.
                            var p = lo
                            for t in 0..<count {
                                let d = touched[t]
                                if p >= hi { break }
                                if docs[p] < d {
                                    var step = 1
                                    var probe = p + 1
                                    while probe < hi && docs[probe] < d { p = probe; probe += step; step *= 2 }
                                    var a = p + 1, b = min(probe, hi)
                                    while a < b { let m = (a + b) / 2; if docs[m] < d { a = m + 1 } else { b = m } }
                                    p = a
                                    if p >= hi { break }
                                }
                                if docs[p] == d {
                                    let packed = tfs[p]
                                    let di = Int(d)
                                    sums[3 * di] += w
                                    if packed & 0x8000 != 0 { sums[3 * di + 1] += w }
                                    let tf = Double(packed & 0x7FFF)
                                    sums[3 * di + 2] += w * tf * k1p1 / (tf + norms[di])
                                    p += 1
                                }
                            }
                            continue
                        }
                        for p in lo..<hi {
                            let d = Int(docs[p])
                            if epochs[d] != epoch {
                                epochs[d] = epoch
                                touched[count] = Int32(d)
                                count += 1
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
                        sorted = false
                    }
                }
            }
        }
        let best = Self.top(capacity, count: count, touched: touched, score: score).sorted { Self.worse($1, $0) }
        return best.map { item in
            let d = Int(item.d)
            return Scored(rowid: rowids[d], dense: d, row: RankContext.Row(coverage: sums[3 * d] / totalWeight,
                                                                 titleCoverage: sums[3 * d + 1] / totalWeight,
                                                                 bm25: sums[3 * d + 2], score: item.score))
        }
    }

    @inline(__always) private static func worse(_ a: (score: Double, d: Int32), _ b: (score: Double, d: Int32)) -> Bool {
        a.score != b.score ? a.score < b.score : a.d > b.d
    }

    /// The best `capacity` of the `count` passages in `touched`, as a min-heap (worst first).
    private static func top(_ capacity: Int, count: Int, touched: UnsafeMutablePointer<Int32>,
                            score: (Int) -> Double) -> [(score: Double, d: Int32)] {
        var heap: [(score: Double, d: Int32)] = []
        heap.reserveCapacity(capacity)
        for t in 0..<count {
            let d32 = touched[t]
            let item = (score: score(Int(d32)), d: d32)
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
        return heap
    }
}

/// Per-search working memory of `LexicalIndex.rank` (reused: no large allocation per query).
final class LexicalScratch {
    /// Per passage: Σ idf present, Σ idf in the title, bm25 — valid where epochs[d] == epoch.
    let sums: UnsafeMutablePointer<Double>
    let epochs: UnsafeMutablePointer<UInt32>
    /// The passages scored by this search (dense numbers).
    let touched: UnsafeMutablePointer<Int32>
    let count: Int
    var epoch: UInt32 = 0

    init(count: Int) {
        self.count = count
        sums = .allocate(capacity: 3 * count)
        sums.initialize(repeating: 0, count: 3 * count)
        epochs = .allocate(capacity: count)
        epochs.initialize(repeating: 0, count: count)
        touched = .allocate(capacity: count)
        touched.initialize(repeating: 0, count: count)
    }

    deinit {
        sums.deallocate()
        epochs.deallocate()
        touched.deallocate()
    }

    func begin() {
        if epoch == UInt32.max {
            epochs.update(repeating: 0, count: count)
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

/// Context of `tonehost_phrases`: for each row FTS5 matched (the query's terms the index does
/// not hold), its dense number, bm25 length norm and, per phrase, the packed tf (as postings).
final class PhraseContext {
    let index: LexicalIndex
    let phrases: Int
    var dense: [Int] = []
    var norms: [Double] = []
    var packed: [UInt16] = []  // row r, phrase p at r·phrases + p (0: absent)
    var averageLength: Double?
    var failure: String?
    var overflow = false

    init(index: LexicalIndex, phrases: Int) {
        self.index = index
        self.phrases = phrases
    }

    /// Rows in which phrase `p` occurs (its document frequency, as fts5vocab counts it).
    func documentFrequency(_ p: Int) -> Int {
        var n = 0
        for r in dense.indices where packed[r * phrases + p] != 0 { n += 1 }
        return n
    }

    /// `tonehost_rank`'s sums over phrases `order` (its idf `idf[k]` for phrase order[k]), in
    /// that order, for the rows that have one of them.
    func partialRows(order: [Int], idf: [Double]) -> PartialRows {
        var out = PartialRows()
        let k1p1 = RankContext.k1 + 1
        for r in dense.indices {
            var anywhere = 0.0, inTitle = 0.0, bm25 = 0.0
            var found = false
            for (k, p) in order.enumerated() {
                let packed = packed[r * phrases + p]
                if packed == 0 { continue }
                found = true
                anywhere += idf[k]
                if packed & 0x8000 != 0 { inTitle += idf[k] }
                let tf = Double(packed & 0x7FFF)
                bm25 += idf[k] * tf * k1p1 / (tf + norms[r])
            }
            if found {
                out.dense.append(dense[r])
                out.anywhere.append(anywhere)
                out.inTitle.append(inTitle)
                out.bm25.append(bm25)
            }
        }
        return out
    }
}

/// The rare terms' sums of the rows that have one, for `LexicalIndex.rank`.
struct PartialRows {
    var dense: [Int] = []
    var anywhere: [Double] = []
    var inTitle: [Double] = []
    var bm25: [Double] = []
}

extension FTSRank {
    static let postingFunctionName = "tonehost_posting"
    static let phrasesFunctionName = "tonehost_phrases"
    static let postingContextPointerType: UnsafePointer<CChar> = UnsafePointer(strdup("tonehost_posting_context")!)
    static let phrasesContextPointerType: UnsafePointer<CChar> = UnsafePointer(strdup("tonehost_phrases_context")!)

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
        guard let (x, fts, context) = FTSAuxiliaryCall<PostingContext>.unpack(api, fts, ctx, count, values, tag: postingContextPointerType, name: "tonehost_posting") else { return }
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

    /// `tonehost_phrases(passages_fts, ctx)`: the row's packed tf of every phrase (as
    /// `tonehost_posting`) and its bm25 length norm (from the index when it knows the passage, so
    /// the docsize record is read only for passages in no posting list), appended to the context.
    static let phrasesFunction: fts5_extension_function = { api, fts, ctx, count, values in
        guard let (x, fts, context) = FTSAuxiliaryCall<PhraseContext>.unpack(api, fts, ctx, count, values, tag: phrasesContextPointerType, name: "tonehost_phrases") else { return }
        let rowid = x.xRowid!(fts)
        guard let d = context.index.dense(rowid) else {
            context.failure = "passages_fts row \(rowid) is not in the lexical index"
            sqlite3_result_error(ctx, "tonehost_phrases: row unknown to the index", -1)
            return
        }
        var norm = context.index.norms[d]
        if norm.isNaN {
            if context.averageLength == nil { context.averageLength = averageLength(x, fts) }
            var length: Int32 = 0
            let rc = x.xColumnSize!(fts, -1, &length)
            if rc != SQLITE_OK { context.failure = "tonehost_phrases: xColumnSize failed (\(rc))"; sqlite3_result_error_code(ctx, rc); return }
            norm = RankContext.k1 * (1 - RankContext.b + RankContext.b * Double(length) / context.averageLength!)
        }
        let phrases = min(Int(x.xPhraseCount!(fts)), context.phrases)
        var iterator = Fts5PhraseIter()
        var column: Int32 = -1, offset: Int32 = 0
        context.dense.append(d)
        context.norms.append(norm)
        for p in 0..<context.phrases {
            var title = 0, body = 0
            if p < phrases {
                let rc = x.xPhraseFirst!(fts, Int32(p), &iterator, &column, &offset)
                if rc != SQLITE_OK { context.failure = "tonehost_phrases: xPhraseFirst failed (\(rc))"; sqlite3_result_error_code(ctx, rc); return }
                while column >= 0 {
                    if column == 0 { title += 1 } else { body += 1 }
                    x.xPhraseNext!(fts, &iterator, &column, &offset)
                }
            }
            let tf = 2 * title + body
            if tf > 0x7FFF { context.overflow = true }  // (never: passages are chunked) FTS5 ranks instead
            context.packed.append(tf == 0 ? 0 : UInt16(min(tf, 0x7FFF)) | (title > 0 ? 0x8000 : 0))
        }
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
        let started = HostThread.start("tonehost-lexidx", stackSize: 1 << 20) { [self] in
            let start = Date()
            var built: LexicalIndex?
            var builtVersion: Int64?
            var stale = false
            do {
                let db = try open()
                try db.transaction(immediate: false) {
                    builtVersion = try db.scalarInt(LexicalIndex.versionQuery) ?? 0
                    built = try LexicalIndex.build(db)
                }
                let now = try db.scalarInt(LexicalIndex.versionQuery) ?? 0
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
        if !started {  // no thread to build it: searches keep ranking inside FTS5
            lock.lock()
            building = false
            lock.unlock()
        }
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
