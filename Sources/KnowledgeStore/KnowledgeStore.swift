import CSQLite
import Foundation
import SQLiteSupport
import TonehostText

#if canImport(Glibc)
import Glibc
#endif

/// The embedded knowledge base: SQLite with an FTS5 index over pre-tokenized text.
///
/// **Indexing.** `SearchTerms.terms` turns title and content into lower-cased English words
/// and CJK character bigrams (`Terms` adds a light English stemmer: "hiring", "hires" →
/// "hir"); they are indexed space-joined in a contentless FTS5 table
/// (`tokenize='unicode61'` splits on the spaces, so each bigram is one token). The original
/// text lives in the `passages` table (the terms are recomputed from it to delete a row, and
/// the whole index is rebuilt at open if the tokenizer ever changes its output: the meta
/// table keeps a fingerprint). Queries go through the same functions, so both sides agree
/// and two-character Chinese words match without a dictionary.
///
/// **Ranking.** Query terms unknown to the index are dropped; the rest are quoted and OR-ed
/// into a MATCH string this class builds itself (user text never reaches FTS5 query syntax).
/// A first stage inside FTS5, the `tonehost_rank` auxiliary function (FTSRank.swift), picks
/// the best ~50 candidates by IDF-weighted term coverage + bm25 (title terms count twice); it
/// reads which terms a row has from the index and prunes rows that cannot make the top 50, so
/// very common terms stay cheap. With the in-memory index of the common terms' postings
/// (LexicalIndex.swift), the same first-stage scores come from memory for those terms, bit for
/// bit, and only the rare terms go through FTS5. The candidates are then re-ranked here: bm25 normalized by
/// the best candidate's + coverage of the query terms + coverage by the title + the share of
/// the title's terms the query has + a bonus when the passage is in the requested language
/// (preferred, not filtered).
///
/// **Threads.** One write connection guarded by a lock (ingest is serialized) plus a pool of
/// up to four read connections, each used by one thread at a time. The database is in WAL
/// mode, so searches run concurrently with each other and with an ingest in progress.
/// All connections are opened SQLITE_OPEN_NOMUTEX: the pool and the lock do the exclusion.
public final class KnowledgeStore: @unchecked Sendable {
    /// How much of the file a reader maps (`PRAGMA mmap_size`).
    static let mapBytes = 256 << 20

    /// Version of the schema this build writes (PRAGMA user_version).
    public static let schemaVersion: Int32 = 2
    /// Candidates fetched from FTS5 for re-ranking.
    static let candidateCount = 50
    /// At most this many (the rarest) query terms go into the MATCH expression.
    static let maxMatchTerms = 32

    public let path: String
    let writer: SQLiteConnection
    let writeLock = NSLock()
    private let readers: SQLiteConnectionPool?
    /// The in-memory vector index (built on the first hybrid search, rebuilt when the store changes).
    let vectorIndex = VectorIndexCache()
    /// The in-memory postings of the common terms (LexicalIndex.swift).
    let lexicalIndex = LexicalIndexCache()
    /// The thread that runs hybrid searches' vector scans beside their lexical half.
    let hybridWorker = HybridWorker()

    /// `$TONEHOST_DB` if set, else `$XDG_DATA_HOME/tonehost/tonehost.db`, else
    /// `~/.local/share/tonehost/tonehost.db`.
    public static var defaultPath: String { StorePath.defaultPath }

    /// Opens (creating if needed, with its directory) the store at `path`: WAL mode,
    /// busy_timeout 5000 ms, schema created or checked. ":memory:" gives a private in-memory
    /// store (then searches share the write connection).
    public init(path: String) throws {
        let inMemory = path == ":memory:"
        let resolved = inMemory ? path : Self.absolutePath((path as NSString).expandingTildeInPath)
        self.path = resolved
        if !inMemory {
            let dir = (resolved as NSString).deletingLastPathComponent
            do {
                try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
            } catch {
                throw KnowledgeStoreError(path: resolved, reason: "cannot create the directory \(dir): \(error.localizedDescription)")
            }
        }
        do {
            writer = try SQLiteConnection(path: resolved, flags: SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX)
            sqlite3_busy_timeout(writer.handle, 5000)
            if !inMemory { try writer.exec("PRAGMA journal_mode=WAL") }
            try writer.exec("PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON; PRAGMA cache_size=-32000; PRAGMA temp_store=MEMORY; PRAGMA journal_size_limit=16777216")
            try Self.createSchema(writer)
            try FTSRank.register(on: writer)
            try LexicalIndex.createVersionTriggers(writer)
            try Self.checkTermsFingerprint(writer)
        } catch let error as KnowledgeStoreError {
            throw error
        } catch let error as SQLiteError {
            throw KnowledgeStoreError(path: resolved, reason: Self.explain(error))
        }
        // Readers map the file (`mmap_size`): the session history shares it, and every stored
        // turn empties each reader's page cache (WAL), so without the map every search read its
        // pages again with a system call each.
        readers = inMemory ? nil : SQLiteConnectionPool(path: resolved, size: 4) { connection in
            sqlite3_busy_timeout(connection.handle, 5000)
            try connection.exec("PRAGMA query_only=1; PRAGMA cache_size=-16000; PRAGMA temp_store=MEMORY; PRAGMA mmap_size=\(Self.mapBytes)")
            try FTSRank.register(on: connection)
        }
    }

    private static func absolutePath(_ p: String) -> String {
        let url = p.hasPrefix("/") ? URL(fileURLWithPath: p) : URL(fileURLWithPath: FileManager.default.currentDirectoryPath).appendingPathComponent(p)
        return url.standardizedFileURL.path
    }

    static func explain(_ error: SQLiteError) -> String {
        switch error.code & 0xFF {
        case SQLITE_NOTADB: return "not a tonehost knowledge base (\(error.message))"
        case SQLITE_CANTOPEN: return "cannot open the database file (\(error.message))"
        case SQLITE_READONLY: return "the database is read-only (\(error.message))"
        default:
            if error.message.contains("no such module: fts5") { return "this SQLite library was built without FTS5" }
            return error.message
        }
    }

    // MARK: Schema

    private static func createSchema(_ db: SQLiteConnection) throws {
        let version = Int32(try db.scalarInt("PRAGMA user_version") ?? 0)
        if version == schemaVersion { return }
        if version > schemaVersion {
            throw KnowledgeStoreError(path: db.path, reason: "the store has schema version \(version); this tonehost knows up to \(schemaVersion) (upgrade tonehost)")
        }
        try db.transaction {
            // Another process may have created it between the check and BEGIN IMMEDIATE.
            let again = Int32(try db.scalarInt("PRAGMA user_version") ?? 0)
            if again == schemaVersion { return }
            try db.exec("""
                CREATE TABLE IF NOT EXISTS documents(
                    id INTEGER PRIMARY KEY,
                    path TEXT NOT NULL UNIQUE,      -- absolute file path, or "entries:<source>"
                    key TEXT NOT NULL,              -- short hash of path: the passage id prefix
                    hash TEXT NOT NULL,             -- SHA-256 of the content
                    size INTEGER NOT NULL,
                    passages INTEGER NOT NULL,
                    ingested_at REAL NOT NULL);
                CREATE TABLE IF NOT EXISTS passages(
                    id INTEGER PRIMARY KEY,         -- = passages_fts.rowid
                    document_id INTEGER NOT NULL REFERENCES documents(id) ON DELETE CASCADE,
                    ordinal INTEGER NOT NULL,
                    title TEXT NOT NULL,
                    content TEXT NOT NULL,
                    source TEXT NOT NULL,
                    category TEXT NOT NULL,
                    hierarchy TEXT NOT NULL,
                    language TEXT NOT NULL,
                    text_hash TEXT NOT NULL DEFAULT '');  -- Vectors.textHash(title, content): the embedding's key
                CREATE INDEX IF NOT EXISTS passages_by_document ON passages(document_id);
                CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value INTEGER NOT NULL);
                INSERT OR IGNORE INTO meta(key, value) VALUES('passages', 0);
                """)
            if again == 0 {
                try createIndex(db)
            } else if again == 1 {
                // Schema 1 → 2: passages learn the hash their embedding is stored under.
                try db.exec("ALTER TABLE passages ADD COLUMN text_hash TEXT NOT NULL DEFAULT ''")
                let select = try db.prepare("SELECT id, title, content FROM passages")
                let update = try db.prepare("UPDATE passages SET text_hash = ? WHERE id = ?")
                var rows: [(Int64, String)] = []
                while try select.step() { rows.append((select.int(0), Vectors.textHash(title: select.text(1), content: select.text(2)))) }
                select.reset()
                for (id, hash) in rows { try update.run(.text(hash), .int(id)) }
            }
            try Vectors.createSchema(db)
            try db.exec("PRAGMA user_version=\(schemaVersion)")
        }
    }

    /// The contentless FTS5 table of pre-tokenized terms (rowid = passages.id) and its
    /// vocabulary view (document frequencies for IDF).
    private static func createIndex(_ db: SQLiteConnection) throws {
        try db.exec("""
            CREATE VIRTUAL TABLE IF NOT EXISTS passages_fts USING fts5(
                title_terms, body_terms, content='', tokenize='unicode61 remove_diacritics 0');
            CREATE VIRTUAL TABLE IF NOT EXISTS passages_vocab USING fts5vocab(passages_fts, row);
            INSERT INTO passages_fts(passages_fts, rank) VALUES('rank', 'bm25(2.0, 1.0)');
            """)
        try db.prepare("INSERT OR REPLACE INTO meta(key, value) VALUES('terms_fingerprint', ?)").run(.int(termsFingerprint))
    }

    /// A fingerprint of the tokenizer's behaviour (`SearchTerms` + `Terms.stem`): the index is
    /// only valid for the tokenizer that built it (deletes re-tokenize the stored text).
    static let termsFingerprint: Int64 = {
        let probe = """
            The Industrial Technology Research Institute's spin-offs, researches & companies: 3.5 GHz, \
            naïve Café ÅNGSTRÖM x86_64. 工業技術研究院（工研院）成立於1973年，位於新竹的是什麼？東京タワー 서울
            """
        let joined = Terms.index(probe).joined(separator: " ") + "|" + Terms.query(probe).joined(separator: " ")
        return Int64(bitPattern: UInt64(SHA256Digest.hex(joined).prefix(15), radix: 16)!)
    }()

    /// Rebuilds the index when it was built by a tokenizer that worked differently.
    private static func checkTermsFingerprint(_ db: SQLiteConnection) throws {
        if try db.scalarInt("SELECT value FROM meta WHERE key = 'terms_fingerprint'") == termsFingerprint { return }
        try db.transaction {
            if try db.scalarInt("SELECT value FROM meta WHERE key = 'terms_fingerprint'") == termsFingerprint { return }
            try db.exec("DROP TABLE IF EXISTS passages_vocab; DROP TABLE IF EXISTS passages_fts;")
            try createIndex(db)
            let select = try db.prepare("SELECT id, title, content FROM passages WHERE id > ? ORDER BY id LIMIT 5000")
            let insert = try db.prepare("INSERT INTO passages_fts(rowid, title_terms, body_terms) VALUES(?, ?, ?)")
            var last: Int64 = -1
            while true {
                try select.bind(.int(last), at: 1)
                var batch: [(Int64, PassageDraft)] = []
                while try select.step() {
                    batch.append((select.int(0), PassageDraft(title: select.text(1), content: select.text(2), source: "", category: "", hierarchy: "")))
                }
                select.reset()
                if batch.isEmpty { break }
                for (rowid, terms) in zip(batch.map(\.0), prepare(batch.map(\.1))) {
                    try insert.run(.int(rowid), .text(terms.titleTerms), .text(terms.bodyTerms))
                }
                last = batch.last!.0
            }
            try db.exec("UPDATE meta SET value = (SELECT count(*) FROM passages) WHERE key = 'passages'")
            try db.exec("UPDATE meta SET value = value + 1 WHERE key = 'lexical_version'")  // the terms changed
        }
    }

    // MARK: Reading

    func withReader<T>(_ body: (SQLiteConnection) throws -> T) throws -> T {
        if let readers { return try readers.with(body) }
        writeLock.lock()
        defer { writeLock.unlock() }
        return try body(writer)
    }

    /// Number of passages in the store.
    public func passageCount() throws -> Int {
        try withReader { db in Int(try db.scalarInt("SELECT count(*) FROM passages") ?? 0) }
    }

    /// Number of ingested documents (files and entry sets).
    public func documentCount() throws -> Int {
        try withReader { db in Int(try db.scalarInt("SELECT count(*) FROM documents") ?? 0) }
    }

    /// The `topK` passages best matching `query`, best first. `language` is preferred (a
    /// bonus), not a filter. An empty or stop-word-only query gives [].
    public func search(_ query: String, language: Language?, topK: Int = 6) throws -> [Passage] {
        try search(query, language: language, topK: topK, evaluation: .automatic)
    }

    /// How the first lexical stage finds its candidates. Every choice ranks alike (the same
    /// passages, the same scores); they differ in speed only, and tests compare them.
    public enum LexicalEvaluation: Sendable {
        /// The in-memory postings of the common terms when they are built for the store's
        /// current state (`loadLexicalIndex`, or in the background after a search), else `.fts`.
        case automatic
        /// Inside FTS5 only, `tonehost_rank` pruning rows that cannot make the candidates.
        case fts
        /// Every row with a query term fully scored inside FTS5, nothing pruned: the reference.
        case exhaustive
    }

    /// `search(_:language:topK:)` with the first stage evaluated as `evaluation` says.
    public func search(_ query: String, language: Language?, topK: Int = 6, evaluation: LexicalEvaluation) throws -> [Passage] {
        guard topK > 0 else { return [] }
        let terms = Terms.query(query)
        if terms.isEmpty { return [] }
        let overview = Terms.asksForOverview(query)
        do {
            return try withReader { db in
                try db.transaction(immediate: false) {
                    let index = evaluation == .automatic ? try currentLexicalIndex(db) : nil
                    let ranked = try Self.lexicalCandidates(db, terms: terms, asksForOverview: overview, language: language,
                                                            index: index, exhaustive: evaluation == .exhaustive)
                    return try Self.fetch(db, ranked.prefix(topK).map { ($0.rowid, $0.score, $0.language) })
                }
            }
        } catch let error as SQLiteError {
            throw KnowledgeStoreError(path: path, reason: "search failed: \(Self.explain(error))")
        }
    }

    /// The in-memory lexical index if it matches the store as `db` sees it (inside a read
    /// transaction); when it does not, a file store starts building one in the background.
    func currentLexicalIndex(_ db: SQLiteConnection) throws -> LexicalIndex? {
        let version = try db.scalarInt(LexicalIndex.versionQuery) ?? 0
        if let index = lexicalIndex.current(version: version) { return index }
        if readers != nil {
            let path = self.path
            lexicalIndex.refreshInBackground(version: version) {
                let connection = try SQLiteConnection(path: path, flags: SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX)
                sqlite3_busy_timeout(connection.handle, 5000)
                try connection.exec("PRAGMA query_only=1; PRAGMA cache_size=-16000; PRAGMA temp_store=MEMORY")
                try FTSRank.register(on: connection)
                return connection
            }
        }
        return nil
    }

    /// Builds the in-memory lexical index now if it is not current (otherwise searches build it
    /// in the background and use FTS5 meanwhile). Returns its size in bytes (0: no term is
    /// common enough to be worth holding).
    @discardableResult
    public func loadLexicalIndex() throws -> Int {
        do {
            return try withReader { db in
                try db.transaction(immediate: false) {
                    let version = try db.scalarInt(LexicalIndex.versionQuery) ?? 0
                    return try lexicalIndex.load(db, version: version)?.memoryBytes ?? 0
                }
            }
        } catch let error as SQLiteError {
            throw KnowledgeStoreError(path: path, reason: "building the lexical index failed: \(Self.explain(error))")
        }
    }

    /// Terms and postings of the in-memory lexical index (0, 0 when it is not built).
    public var lexicalIndexSize: (terms: Int, postings: Int) { lexicalIndex.size }

    struct Candidate {
        var rowid: Int64
        var bm25: Double
        var language: Language
        var coverage: Double = 0
        var titleCoverage: Double = 0
        var titlePrecision: Double = 0
        var score: Double = 0
    }

    /// The lexical ranking: up to `candidateCount` candidates, best first.
    static func lexicalCandidates(_ db: SQLiteConnection, terms: [String], asksForOverview: Bool, language: Language?,
                                  index: LexicalIndex? = nil, exhaustive: Bool = false) throws -> [Candidate] {
        if terms.isEmpty { return [] }
        let total = Double(try db.scalarInt("SELECT value FROM meta WHERE key='passages'") ?? 0)
        if total <= 0 { return [] }

        // With the in-memory index, one MATCH over the terms it does not hold (all rarer than
        // those it holds) gives their rows and, counted from those rows, their document
        // frequencies; fts5vocab is asked only for terms FTS5 might tokenize otherwise.
        var phrases: PhraseContext?
        var phraseOf: [String: Int] = [:]
        if let index, !exhaustive {
            let unheld = terms.filter { index.terms[$0] == nil }
            let context = PhraseContext(index: index, phrases: unheld.count)
            if !unheld.isEmpty {
                for (p, term) in unheld.enumerated() { phraseOf[term] = p }
                let stmt = try db.prepare("""
                    SELECT \(FTSRank.phrasesFunctionName)(passages_fts, ?2) FROM passages_fts WHERE passages_fts MATCH ?1
                    """)
                defer { stmt.reset() }
                try stmt.bind(.text(unheld.map(LexicalIndex.ftsPhrase).joined(separator: " OR ")), at: 1)
                try withExtendedLifetime(context) {
                    try stmt.bindPointer(Unmanaged.passUnretained(context).toOpaque(), type: FTSRank.phrasesContextPointerType, at: 2)
                    while try stmt.step() {}
                    stmt.reset()
                }
                if let failure = context.failure { throw SQLiteError(code: SQLITE_ERROR, message: failure) }
            }
            phrases = context.overflow ? nil : context
        }
        let indexed = phrases == nil ? nil : index

        // Document frequency of each term; unknown terms cannot match and are dropped.
        let dfStatement = try db.prepare("SELECT doc FROM passages_vocab WHERE term = ?")
        var known: [(term: String, df: Double, idf: Double)] = []
        for term in terms {
            let df: Double
            if let indexed, let held = indexed.documentFrequency(term) {
                df = Double(held)
            } else if let phrases, let p = phraseOf[term], LexicalIndex.isOneToken(term) {
                df = Double(phrases.documentFrequency(p))
            } else {
                try dfStatement.bind(.text(term), at: 1)
                df = try dfStatement.step() ? Double(dfStatement.int(0)) : 0
                dfStatement.reset()
            }
            if df > 0 {
                known.append((term, df, log(1 + (total - df + 0.5) / (df + 0.5))))
            }
        }
        if known.isEmpty { return [] }

        // The rarest terms go into the MATCH (at most 32). Terms in more than half of a large
        // store carry almost no weight but make FTS5 visit most of the table, so they are
        // left out as long as a rarer term remains.
        var matchTerms = known.sorted { $0.df < $1.df }.prefix(maxMatchTerms).map { $0 }
        if total >= 2000, let rarest = matchTerms.first, rarest.df <= total / 2 {
            matchTerms.removeAll { $0.df > total / 2 }
        }
        let idf = matchTerms.map(\.idf)

        // First stage: tonehost_rank's score (coverage + bounded bm25) of every row with a match
        // term, the best `candidateCount`. With the in-memory index, the terms it holds (the
        // common ones, at the end of the rarest-first list) are scored from memory and the rare
        // ones before them from the rows of the MATCH above; otherwise all of it runs inside
        // FTS5, where tonehost_rank prunes rows that cannot make the top (exhaustive: no pruning).
        var rowids: [Int64] = []
        var dense: [Int] = []
        var figures: [Int64: RankContext.Row] = [:]
        var ranked = false
        if let indexed, let phrases {
            let split = matchTerms.firstIndex { indexed.terms[$0.term] != nil } ?? matchTerms.count
            let lists = matchTerms[split...].compactMap { indexed.terms[$0.term] }
            // Every held term is commoner than every other, so they form the tail (checked).
            if lists.count == matchTerms.count - split {
                let rare = phrases.partialRows(order: matchTerms[0..<split].map { phraseOf[$0.term]! }, idf: Array(idf[0..<split]))
                if let top = indexed.rank(idf: idf, split: split, common: lists, rare: rare, capacity: candidateCount,
                                          coverageWeight: Ranking.coverage, titleWeight: Ranking.title, bm25Weight: Ranking.firstStageBM25) {
                    for s in top {
                        rowids.append(s.rowid)
                        dense.append(s.dense)
                        figures[s.rowid] = s.row
                    }
                    ranked = true
                }
            }
        }
        if !ranked {
            let match = matchTerms.map { LexicalIndex.ftsPhrase($0.term) }.joined(separator: " OR ")
            let context = RankContext(idf: idf, capacity: exhaustive ? Int.max : candidateCount, coverageWeight: Ranking.coverage,
                                      titleWeight: Ranking.title, bm25Weight: Ranking.firstStageBM25)
            let stmt = try db.prepare("""
                SELECT rowid, \(FTSRank.functionName)(passages_fts, ?2) AS s FROM passages_fts
                WHERE passages_fts MATCH ?1 ORDER BY s DESC, rowid LIMIT ?3
                """)
            defer { stmt.reset() }
            try stmt.bind(.text(match), at: 1)
            try stmt.bind(.int(Int64(candidateCount)), at: 3)
            try withExtendedLifetime(context) {
                try stmt.bindPointer(Unmanaged.passUnretained(context).toOpaque(), type: FTSRank.contextPointerType, at: 2)
                while try stmt.step() { rowids.append(stmt.int(0)) }
                stmt.reset()
            }
            figures = context.rows
        }
        // Language and title of each candidate; the title's precision is the share of its own
        // terms the query asks about ("About ITRI" fits "What is ITRI?" better than "Careers at
        // ITRI"), plus ½ for an overview title ("About …", "…簡介") when the query asks "what is".
        let queryTermSet = Set(terms)
        let overview = asksForOverview
        let detailStatement = try db.prepare("SELECT language, title FROM passages WHERE id = ?")
        var candidates: [Candidate] = []
        for (i, rowid) in rowids.enumerated() {
            guard let row = figures[rowid] else { continue }  // (never: the top rows are fully scored)
            let lang: Language
            let title: TitleFeatures.Features
            if let indexed, i < dense.count {
                lang = indexed.languages[dense[i]]
                title = TitleFeatures.of(indexed.titles[dense[i]])
            } else {
                try detailStatement.bind(.int(rowid), at: 1)
                guard try detailStatement.step() else { detailStatement.reset(); continue }
                lang = Language(rawValue: detailStatement.text(0)) ?? .english
                title = TitleFeatures.of(detailStatement.text(1))
                detailStatement.reset()
            }
            let titleTerms = title.terms
            var shared = 0  // |title terms ∩ query terms|, without building the intersection
            if !titleTerms.isEmpty { for term in queryTermSet where titleTerms.contains(term) { shared += 1 } }
            var precision = titleTerms.isEmpty ? 0 : Double(shared) / Double(titleTerms.count)
            if overview && precision > 0 && title.isOverview { precision += 0.5 }
            candidates.append(Candidate(rowid: rowid, bm25: row.bm25, language: lang, coverage: row.coverage,
                                        titleCoverage: row.titleCoverage, titlePrecision: precision))
        }
        if candidates.isEmpty { return [] }

        let best = max(candidates.map(\.bm25).max() ?? 1, 1e-9)
        for i in candidates.indices {
            let c = candidates[i]
            candidates[i].score = Ranking.bm25 * (c.bm25 / best)
                + Ranking.coverage * c.coverage
                + Ranking.title * c.titleCoverage
                + Ranking.titlePrecision * c.titlePrecision
                + (language != nil && c.language == language ? Ranking.language : 0)
        }
        candidates.sort { $0.score != $1.score ? $0.score > $1.score : $0.bm25 > $1.bm25 }
        return candidates
    }

    /// The passages of ranked rows, in the given order, with the given scores.
    static func fetch(_ db: SQLiteConnection, _ rows: [(rowid: Int64, score: Double, language: Language)]) throws -> [Passage] {
        let rowStatement = try db.prepare("""
            SELECT d.key, p.ordinal, p.title, p.content, p.source, p.category, p.hierarchy, p.language
            FROM passages p JOIN documents d ON d.id = p.document_id WHERE p.id = ?
            """)
        var out: [Passage] = []
        for c in rows {
            try rowStatement.bind(.int(c.rowid), at: 1)
            defer { rowStatement.reset() }
            guard try rowStatement.step() else { continue }
            out.append(Passage(
                id: "\(rowStatement.text(0))-\(rowStatement.int(1))",
                title: rowStatement.text(2), content: rowStatement.text(3), source: rowStatement.text(4),
                category: rowStatement.text(5), hierarchy: rowStatement.text(6),
                language: Language(rawValue: rowStatement.text(7)) ?? c.language,
                score: (c.score * 1000).rounded() / 1000))
        }
        return out
    }

    /// Weights of the re-ranking terms (normalized bm25 and coverages are in 0...1).
    enum Ranking {
        static let bm25 = 1.0
        static let coverage = 0.6
        static let title = 0.4
        static let titlePrecision = 0.3
        static let language = 0.4
        /// Weight of the bounded bm25, B/(B+8), in the first stage.
        static let firstStageBM25 = 0.6
    }

    // MARK: Writing

    /// A passage with its search terms, ready for INSERT.
    struct PreparedPassage {
        var draft: PassageDraft
        var language: Language
        var titleTerms: String
        var bodyTerms: String
        var textHash: String

        init(_ draft: PassageDraft) {
            self.draft = draft
            textHash = Vectors.textHash(title: draft.title, content: draft.content)
            language = LanguageDetector.detect(draft.content)
            titleTerms = Terms.index(draft.title).joined(separator: " ")
            bodyTerms = Terms.index(draft.content).joined(separator: " ")
        }
    }

    /// Term extraction is the CPU-heavy part of an ingest: big files are spread over the cores.
    static func prepare(_ drafts: [PassageDraft]) -> [PreparedPassage] {
        Parallel.map(drafts, PreparedPassage.init)
    }

    /// Replaces the passages stored under document `key` (one transaction). Returns the
    /// number of passages removed.
    private func write(documentPath: String, hash: String, size: Int, passages: [PreparedPassage]) throws -> Int {
        try writer.transaction { try writeInTransaction(documentPath: documentPath, hash: hash, size: size, passages: passages) }
    }

    private func writeInTransaction(documentPath: String, hash: String, size: Int, passages: [PreparedPassage]) throws -> Int {
        let db = writer
        var removed = 0
        var documentID: Int64
        let find = try db.prepare("SELECT id FROM documents WHERE path = ?")
        try find.bind(.text(documentPath))
        let existing = try find.step() ? find.int(0) : nil
        find.reset()
        if let existing {
            documentID = existing
            // Contentless FTS5: a row is deleted by giving back the terms it was indexed with.
            let old = try db.prepare("SELECT id, title, content FROM passages WHERE document_id = ?")
            try old.bind(.int(existing))
            var rows: [(Int64, PassageDraft)] = []
            while try old.step() {
                rows.append((old.int(0), PassageDraft(title: old.text(1), content: old.text(2), source: "", category: "", hierarchy: "")))
            }
            old.reset()
            let deleteFTS = try db.prepare("INSERT INTO passages_fts(passages_fts, rowid, title_terms, body_terms) VALUES('delete', ?, ?, ?)")
            let oldTerms = Parallel.map(rows) { (Terms.index($0.1.title).joined(separator: " "), Terms.index($0.1.content).joined(separator: " ")) }
            for ((rowid, _), terms) in zip(rows, oldTerms) {
                try deleteFTS.run(.int(rowid), .text(terms.0), .text(terms.1))
            }
            try db.prepare("DELETE FROM passages WHERE document_id = ?").run(.int(existing))
            removed = rows.count
            try db.prepare("UPDATE documents SET hash = ?, size = ?, passages = ?, ingested_at = ? WHERE id = ?")
                .run(.text(hash), .int(Int64(size)), .int(Int64(passages.count)), .double(Date().timeIntervalSince1970), .int(existing))
        } else {
            let key = String(SHA256Digest.hex(documentPath).prefix(12))
            try db.prepare("INSERT INTO documents(path, key, hash, size, passages, ingested_at) VALUES(?, ?, ?, ?, ?, ?)")
                .run(.text(documentPath), .text(key), .text(hash), .int(Int64(size)), .int(Int64(passages.count)),
                     .double(Date().timeIntervalSince1970))
            documentID = db.lastInsertRowID
        }
        let insertPassage = try db.prepare("""
            INSERT INTO passages(document_id, ordinal, title, content, source, category, hierarchy, language, text_hash)
            VALUES(?, ?, ?, ?, ?, ?, ?, ?, ?)
            """)
        let insertFTS = try db.prepare("INSERT INTO passages_fts(rowid, title_terms, body_terms) VALUES(?, ?, ?)")
        for (ordinal, p) in passages.enumerated() {
            try insertPassage.run(.int(documentID), .int(Int64(ordinal)), .text(p.draft.title), .text(p.draft.content),
                                  .text(p.draft.source), .text(p.draft.category), .text(p.draft.hierarchy),
                                  .text(p.language.rawValue), .text(p.textHash))
            try insertFTS.run(.int(db.lastInsertRowID), .text(p.titleTerms), .text(p.bodyTerms))
        }
        try db.prepare("UPDATE meta SET value = value + ? WHERE key = 'passages'").run(.int(Int64(passages.count - removed)))
        try Vectors.bumpContentVersion(db)
        return removed
    }

    /// Files to ingest under `paths` (folders recursively: .json .md .markdown .txt, hidden
    /// entries skipped, sorted), plus "path: reason" for paths that do not exist.
    static func collectFiles(_ paths: [String]) -> (files: [String], missing: [String]) {
        var files: [String] = []
        var missing: [String] = []
        var seen = Set<String>()
        let fm = FileManager.default
        for raw in paths {
            let path = absolutePath((raw as NSString).expandingTildeInPath)
            var isDir: ObjCBool = false
            guard fm.fileExists(atPath: path, isDirectory: &isDir) else {
                missing.append("\(path): no such file or directory")
                continue
            }
            if isDir.boolValue {
                var found: [String] = []
                let url = URL(fileURLWithPath: path)
                if let e = fm.enumerator(at: url, includingPropertiesForKeys: [.isRegularFileKey], options: [.skipsHiddenFiles]) {
                    for case let item as URL in e {
                        guard DocumentParser.supportedExtensions.contains(item.pathExtension.lowercased()),
                              (try? item.resourceValues(forKeys: [.isRegularFileKey]).isRegularFile) == true else { continue }
                        found.append(item.standardizedFileURL.path)
                    }
                }
                for f in found.sorted() where seen.insert(f).inserted { files.append(f) }
            } else if seen.insert(path).inserted {
                files.append(path)
            }
        }
        return (files, missing)
    }

    /// Ingests files and folders (recursively: .json, .md, .markdown, .txt). Each file is
    /// one transaction keyed by its absolute path: an unchanged file (same SHA-256) is left
    /// alone, a changed one has its passages replaced. A file that cannot be read or parsed is
    /// listed in `skipped` as "path: reason" and the others still go in. `progress` is called
    /// after each file with (done, total, file).
    public func ingest(paths: [String], progress: ((_ done: Int, _ total: Int, _ file: String) -> Void)? = nil) throws -> IngestSummary {
        let start = Date()
        let (files, missing) = Self.collectFiles(paths)
        var summary = IngestSummary(skipped: missing)
        // Pipeline: file i+1 is read, hashed, parsed and tokenized in the background while
        // file i is written (SQLite writes are single-threaded; the text work is not).
        var next = files.first.map { file in Pending { self.load(file) } }
        for (i, file) in files.enumerated() {
            let current = next!.wait()
            next = i + 1 < files.count ? Pending { [files] in self.load(files[i + 1]) } : nil
            do {
                switch try current.get() {
                case .unchanged:
                    summary.unchanged += 1
                case .parsed(let hash, let size, let passages):
                    writeLock.lock()
                    defer { writeLock.unlock() }
                    let removed = try write(documentPath: file, hash: hash, size: size, passages: passages)
                    summary.files += 1
                    summary.passages += passages.count
                    summary.replaced += removed
                }
            } catch let failure as ParseFailure {
                summary.skipped.append("\(file): \(failure.reason)")
            } catch let error as SQLiteError {
                summary.skipped.append("\(file): \(Self.explain(error))")
            } catch let error as KnowledgeStoreError {
                summary.skipped.append(error.path == file ? error.description : "\(file): \(error.reason)")
            } catch {
                summary.skipped.append("\(file): \(error)")
            }
            progress?(i + 1, files.count, file)
        }
        summary.seconds = Date().timeIntervalSince(start)
        return summary
    }

    private enum LoadedFile {
        case unchanged
        case parsed(hash: String, size: Int, passages: [PreparedPassage])
    }

    private func storedHash(of documentPath: String) throws -> String? {
        try withReader { db in
            let stmt = try db.prepare("SELECT hash FROM documents WHERE path = ?")
            defer { stmt.reset() }
            try stmt.bind(.text(documentPath))
            return try stmt.step() ? stmt.text(0) : nil
        }
    }

    /// Everything but the write: read, hash (unchanged → done), parse, chunk, tokenize.
    private func load(_ file: String) -> Result<LoadedFile, Error> {
        Result {
            let data: Data
            do {
                data = try Data(contentsOf: URL(fileURLWithPath: file))
            } catch {
                throw ParseFailure("cannot read the file (\(error.localizedDescription))")
            }
            let hash = data.withUnsafeBytes { buf -> String in
                var d = SHA256Digest()
                d.update(buf)
                return d.finalizeHex()
            }
            if try storedHash(of: file) == hash { return .unchanged }
            let drafts = try DocumentParser.parse(data: data, path: file)
            return .parsed(hash: hash, size: data.count, passages: Self.prepare(drafts))
        }
    }

    /// Ingests entries under the document key "entries:`source`", replacing whatever that
    /// key held before (so re-ingesting the same source never duplicates). `source` is also
    /// each passage's source unless the entry names its own. Long contents are chunked.
    /// Returns the number of passages written.
    @discardableResult
    public func ingest(entries: [Entry], source: String) throws -> Int {
        var drafts: [PassageDraft] = []
        var digest = SHA256Digest()
        for (i, entry) in entries.enumerated() {
            if entry.content.trimmingWhitespace().isEmpty {
                throw KnowledgeStoreError(path: source, reason: "entry \(i + 1) has an empty \"content\"")
            }
            drafts += DocumentParser.drafts(for: entry, defaultSource: source)
            for field in [entry.title ?? "", entry.content, entry.source ?? "", entry.category ?? "", entry.hierarchy ?? ""] {
                let bytes = Array(field.utf8) + [0]
                bytes.withUnsafeBytes { digest.update($0) }
            }
        }
        let prepared = Self.prepare(drafts)
        writeLock.lock()
        defer { writeLock.unlock() }
        do {
            _ = try write(documentPath: "entries:" + source, hash: digest.finalizeHex(), size: 0, passages: prepared)
        } catch let error as SQLiteError {
            throw KnowledgeStoreError(path: path, reason: "ingesting \(source) failed: \(Self.explain(error))")
        }
        return prepared.count
    }

    // MARK: Sample knowledge

    private static let resourceBundleName = "tonehost_KnowledgeStore.resources"

    /// The bundled sample knowledge base (SampleKnowledge/itri.json), if it can be found:
    /// `Bundle.module` when its resource bundle sits beside the main executable, else the
    /// file named by `TONEHOST_SAMPLE_KNOWLEDGE`, the bundle beside /proc/self/exe, or the
    /// source tree (development builds). `Bundle.module` is never touched when its bundle is
    /// absent, because its accessor aborts the process in that case.
    public static var sampleKnowledgeURL: URL? {
        let fm = FileManager.default
        let beside = Bundle.main.bundleURL.appendingPathComponent(resourceBundleName)
        if fm.fileExists(atPath: beside.path),
           let url = Bundle.module.url(forResource: "itri", withExtension: "json", subdirectory: "SampleKnowledge") {
            return url
        }
        if let override = ProcessInfo.processInfo.environment["TONEHOST_SAMPLE_KNOWLEDGE"], !override.isEmpty {
            return fm.fileExists(atPath: override) ? URL(fileURLWithPath: override) : nil
        }
        let executable = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
        for bundle in [executable.deletingLastPathComponent().appendingPathComponent(resourceBundleName)] {
            for sub in ["SampleKnowledge/itri.json", "Contents/Resources/SampleKnowledge/itri.json"] {
                let url = bundle.appendingPathComponent(sub)
                if fm.fileExists(atPath: url.path) { return url }
            }
        }
        let source = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("SampleKnowledge/itri.json")
        return fm.fileExists(atPath: source.path) ? source : nil
    }

    private func sampleURLOrThrow() throws -> URL {
        guard let url = Self.sampleKnowledgeURL else {
            throw KnowledgeStoreError(path: path, reason: "the sample knowledge base (SampleKnowledge/itri.json) is not installed beside this program")
        }
        return url
    }

    /// Ingests the bundled sample when the store has no passages; nil when it had some.
    @discardableResult
    public func seedSampleIfEmpty() throws -> IngestSummary? {
        if try passageCount() > 0 { return nil }
        let url = try sampleURLOrThrow()
        let summary = try ingest(paths: [url.path])
        if !summary.skipped.isEmpty {
            throw KnowledgeStoreError(path: url.path, reason: "sample knowledge base not ingested: " + summary.skipped.joined(separator: "; "))
        }
        return summary
    }

    /// Drops every passage and document, then re-seeds the sample, in one transaction (a
    /// failure leaves the store as it was). Returns nil when no sample is installed (the
    /// store is then left empty).
    @discardableResult
    public func reinitialize() throws -> IngestSummary? {
        let start = Date()
        var sample: (path: String, hash: String, size: Int, passages: [PreparedPassage])?
        if let url = Self.sampleKnowledgeURL {
            let file = url.standardizedFileURL.path
            do {
                let data = try Data(contentsOf: url)
                let drafts = try DocumentParser.parse(data: data, path: file)
                let hash = data.withUnsafeBytes { buf -> String in
                    var d = SHA256Digest()
                    d.update(buf)
                    return d.finalizeHex()
                }
                sample = (file, hash, data.count, Self.prepare(drafts))
            } catch let failure as ParseFailure {
                throw KnowledgeStoreError(path: file, reason: failure.reason)
            } catch {
                throw KnowledgeStoreError(path: file, reason: "cannot read the sample knowledge base (\(error.localizedDescription))")
            }
        }
        writeLock.lock()
        defer { writeLock.unlock() }
        do {
            try writer.transaction {
                // Dropping and recreating the index is much faster than deleting row by row.
                try writer.exec("""
                    DROP TABLE IF EXISTS passages_vocab; DROP TABLE IF EXISTS passages_fts;
                    DELETE FROM passages; DELETE FROM documents; UPDATE meta SET value = 0 WHERE key = 'passages';
                    """)
                try Vectors.bumpContentVersion(writer)
                try Self.createIndex(writer)
                if let sample {
                    _ = try writeInTransaction(documentPath: sample.path, hash: sample.hash, size: sample.size, passages: sample.passages)
                }
            }
        } catch let error as SQLiteError {
            throw KnowledgeStoreError(path: path, reason: "reinitialize failed: \(Self.explain(error))")
        }
        guard let sample else { return nil }
        return IngestSummary(files: 1, passages: sample.passages.count, seconds: Date().timeIntervalSince(start))
    }
}

/// A value computed on a background thread; `wait()` blocks until it is there.
final class Pending<T>: @unchecked Sendable {
    private var value: T?
    private let done = DispatchSemaphore(value: 0)

    init(_ work: @escaping () -> T) {
        DispatchQueue.global(qos: .userInitiated).async {
            self.value = work()
            self.done.signal()
        }
    }

    func wait() -> T {
        done.wait()
        done.signal()  // later waits return at once
        return value!
    }
}
