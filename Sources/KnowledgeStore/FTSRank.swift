import CSQLite
import Foundation
import SQLiteSupport

/// `tonehost_rank(passages_fts, ctx)`: the first-stage ranking, an FTS5 auxiliary function.
///
/// For each matching row it computes which query terms (phrases, in MATCH order) the row
/// contains — in the title column and anywhere — as IDF-weighted coverages, and a bm25 score
/// (FTS5's formula: title terms count twice, k1 = 1.2, b = 0.75). It returns
/// `coverage·wc + titleCoverage·wt + wb·B/(B+K)`. Since tf saturates, B ≤ (k1+1)·Σ idf of
/// the phrases present, which bounds the score from the cheap coverage pass alone. That bound
/// lets it skip the costly part (the per-row document size and term frequencies) for a row
/// that cannot reach the current top `capacity` — exact pruning, so a query with very common
/// terms does not pay bm25 for every matching row.
/// The per-row figures of the rows it fully scored are left in the context for the re-ranking.
final class RankContext {
    struct Row {
        var coverage: Double
        var titleCoverage: Double
        var bm25: Double
        var score: Double
    }

    let idf: [Double]
    let totalWeight: Double
    let capacity: Int
    let coverageWeight: Double
    let titleWeight: Double
    let bm25Weight: Double
    static let bm25Half = 8.0  // B at which the bounded bm25 term is half its weight
    static let k1 = 1.2
    static let b = 0.75

    fileprivate var averageLength: Double?
    fileprivate var heap: [Double] = []  // min-heap of the best `capacity` scores so far
    var rows: [Int64: Row] = [:]

    init(idf: [Double], capacity: Int, coverageWeight: Double, titleWeight: Double, bm25Weight: Double) {
        self.idf = idf
        self.totalWeight = max(idf.reduce(0, +), 1e-9)
        self.capacity = capacity
        self.coverageWeight = coverageWeight
        self.titleWeight = titleWeight
        self.bm25Weight = bm25Weight
    }

    fileprivate var threshold: Double { heap.count >= capacity ? heap[0] : -Double.infinity }

    fileprivate func push(_ score: Double) {
        if heap.count < capacity {
            heap.append(score)
            var i = heap.count - 1
            while i > 0 {
                let parent = (i - 1) / 2
                if heap[parent] <= heap[i] { break }
                heap.swapAt(parent, i)
                i = parent
            }
        } else if score > heap[0] {
            heap[0] = score
            var i = 0
            while true {
                let l = 2 * i + 1, r = l + 1
                var smallest = i
                if l < heap.count && heap[l] < heap[smallest] { smallest = l }
                if r < heap.count && heap[r] < heap[smallest] { smallest = r }
                if smallest == i { break }
                heap.swapAt(i, smallest)
                i = smallest
            }
        }
    }
}

enum FTSRank {
    static let functionName = "tonehost_rank"

    /// sqlite3_bind_pointer compares these type tags; they must outlive every use.
    private static let apiPointerType: UnsafePointer<CChar> = UnsafePointer(strdup("fts5_api_ptr")!)
    static let contextPointerType: UnsafePointer<CChar> = UnsafePointer(strdup("tonehost_rank_context")!)

    private static let function: fts5_extension_function = { api, fts, ctx, count, values in
        guard let (x, fts, context) = FTSAuxiliaryCall<RankContext>.unpack(api, fts, ctx, count, values, tag: contextPointerType, name: "tonehost_rank") else { return }
        guard let phraseCount = x.xPhraseCount, let firstColumn = x.xPhraseFirstColumn, let nextColumn = x.xPhraseNextColumn,
              let first = x.xPhraseFirst, let next = x.xPhraseNext, let columnSize = x.xColumnSize,
              let rowCount = x.xRowCount, let totalSize = x.xColumnTotalSize, let rowid = x.xRowid else {
            sqlite3_result_error(ctx, "tonehost_rank: FTS5 extension API too old", -1)
            return
        }
        let phrases = min(Int(phraseCount(fts)), context.idf.count)

        // Coverage: which phrases occur, in the title (column 0) and anywhere.
        var anywhere = 0.0, inTitle = 0.0
        var iterator = Fts5PhraseIter()
        var column: Int32 = -1
        for p in 0..<phrases {
            let rc = firstColumn(fts, Int32(p), &iterator, &column)
            if rc != SQLITE_OK { sqlite3_result_error_code(ctx, rc); return }
            var found = false
            while column >= 0 {
                found = true
                if column == 0 { inTitle += context.idf[p] }
                nextColumn(fts, &iterator, &column)
            }
            if found { anywhere += context.idf[p] }
        }
        let coverage = anywhere / context.totalWeight
        let titleCoverage = inTitle / context.totalWeight
        let base = context.coverageWeight * coverage + context.titleWeight * titleCoverage
        // bm25 ≤ (k1 + 1)·Σ idf of the phrases present (tf saturates): an upper bound on the score.
        let bm25Bound = (RankContext.k1 + 1) * anywhere
        if base + context.bm25Weight * bm25Bound / (bm25Bound + RankContext.bm25Half) < context.threshold {
            sqlite3_result_double(ctx, base)  // cannot make the top: skip bm25
            return
        }

        // bm25 (FTS5's: per phrase, tf = 2·title + body; length = all columns).
        if context.averageLength == nil {
            var n: Int64 = 0, tokens: Int64 = 0
            _ = rowCount(fts, &n)
            _ = totalSize(fts, -1, &tokens)
            context.averageLength = n > 0 ? max(Double(tokens) / Double(n), 1) : 1
        }
        var length: Int32 = 0
        let rc = columnSize(fts, -1, &length)
        if rc != SQLITE_OK { sqlite3_result_error_code(ctx, rc); return }
        let norm = RankContext.k1 * (1 - RankContext.b + RankContext.b * Double(length) / context.averageLength!)
        var bm25 = 0.0
        var offset: Int32 = 0
        for p in 0..<phrases {
            var tf = 0.0
            let rc = first(fts, Int32(p), &iterator, &column, &offset)
            if rc != SQLITE_OK { sqlite3_result_error_code(ctx, rc); return }
            while column >= 0 {
                tf += column == 0 ? 2 : 1
                next(fts, &iterator, &column, &offset)
            }
            if tf > 0 { bm25 += context.idf[p] * tf * (RankContext.k1 + 1) / (tf + norm) }
        }
        let score = base + context.bm25Weight * bm25 / (bm25 + RankContext.bm25Half)
        context.push(score)
        context.rows[rowid(fts)] = RankContext.Row(coverage: coverage, titleCoverage: titleCoverage, bm25: bm25, score: score)
        sqlite3_result_double(ctx, score)
    }

    /// Registers the function on `db` (each connection needs its own registration).
    static func register(on db: SQLiteConnection) throws {
        var stmt: OpaquePointer?
        var rc = sqlite3_prepare_v2(db.handle, "SELECT fts5(?1)", -1, &stmt, nil)
        guard rc == SQLITE_OK, let stmt else {
            throw SQLiteError(code: rc, message: "FTS5 is not available in this SQLite library (\(db.errorMessage))")
        }
        defer { sqlite3_finalize(stmt) }
        var api: UnsafeMutablePointer<fts5_api>?
        withUnsafeMutablePointer(to: &api) { slot in
            sqlite3_bind_pointer(stmt, 1, UnsafeMutableRawPointer(slot), apiPointerType, nil)
            _ = sqlite3_step(stmt)
        }
        guard let api, let create = api.pointee.xCreateFunction else {
            throw SQLiteError(code: SQLITE_ERROR, message: "FTS5 is not available in this SQLite library")
        }
        for (name, f) in [(functionName, function), (postingFunctionName, postingFunction), (phrasesFunctionName, phrasesFunction)] {
            rc = create(api, name, nil, f, nil)
            if rc != SQLITE_OK { throw SQLiteError(code: rc, message: "cannot register \(name)") }
        }
    }
}

/// What every FTS5 auxiliary function of the store starts with: the extension API, the FTS
/// cursor and the context object the query bound with `sqlite3_bind_pointer(…, tag)` — or, when
/// one is missing, the SQL error `NAME: missing context` and nil.
enum FTSAuxiliaryCall<Context: AnyObject> {
    static func unpack(_ api: UnsafePointer<Fts5ExtensionApi>?, _ fts: OpaquePointer?, _ ctx: OpaquePointer?, _ count: Int32,
                       _ values: UnsafeMutablePointer<OpaquePointer?>?, tag: UnsafePointer<CChar>,
                       name: String) -> (api: Fts5ExtensionApi, fts: OpaquePointer, context: Context)? {
        guard let api, let fts, count >= 1, let values, let raw = sqlite3_value_pointer(values[0], tag) else {
            sqlite3_result_error(ctx, "\(name): missing context", -1)
            return nil
        }
        return (api.pointee, fts, Unmanaged<Context>.fromOpaque(raw).takeUnretainedValue())
    }
}
