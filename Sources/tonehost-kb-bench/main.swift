import ArgumentParser
import Foundation
import KnowledgeStore
import TonehostText
import TonehostTypes

// tonehost-kb-bench [--passages N] [--queries N] [--threads N] [--seed N] [--dimension N] [--no-hybrid] [--keep] [--verbose]
//                   [--store PATH]
//
// Generates a deterministic synthetic knowledge base of N passages (mixed English and
// Traditional Chinese, realistic lengths, Zipf-distributed vocabulary), writes it as JSON files
// of 1000 entries, ingests them into a fresh store in a temp folder and reports passages/s;
// then runs the queries (mixed languages) one at a time and reports latency p50/p95/p99, then
// again from several threads at once, and prints the store size. The single-thread run is made
// twice: first ranking inside FTS5 only (the reference: how the store searched before the
// in-memory index of common terms), then with that index built, and the second is printed as
// a ratio of the first (both must return the same passages). Then (unless --no-hybrid) it
// stores a synthetic unit vector of `--dimension` floats per passage (deterministic from the
// text, as an embedder would be) and runs the same queries hybrid: BM25 and vector similarity
// fused, reporting latency and the vector index's memory.
// Build with `-c release` for meaningful figures. `--store PATH` keeps the store there and, when
// it already holds passages (a previous run with the same arguments), skips the ingest.

// MARK: Arguments

struct Arguments: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "tonehost-kb-bench")
    @Option(help: "Passages to generate.") var passages = 100_000
    @Option(help: "Queries to run.") var queries = 1000
    @Option(help: "Threads of the concurrent search run.") var threads = 4
    @Option(help: "Seed of the generator (same seed, same corpus and queries).") var seed: UInt64 = 20_240_601
    @Option(help: "Floats per synthetic vector.") var dimension = 1024
    @Flag(inversion: .prefixedNo, help: "Also store vectors and run the queries hybrid.") var hybrid = true
    @Flag(help: "Keep the temp folder with the generated corpus and store.") var keep = false
    @Flag(name: [.long, .short], help: "Print queries that found nothing.") var verbose = false
    @Option(help: "Keep the store here; reused (no ingest) when it already holds passages.") var store: String?

    func validate() throws {
        for (flag, value) in [("--passages", passages), ("--queries", queries), ("--threads", threads), ("--dimension", dimension)] where value < 1 {
            throw ValidationError("\(flag) must be at least 1, found \(value)")
        }
    }
}
let arguments = Arguments.parseOrExit()
let passageTarget = arguments.passages
let queryCount = arguments.queries
let threads = arguments.threads
let seed = arguments.seed
let keep = arguments.keep
let verbose = arguments.verbose
let dimension = arguments.dimension
let hybrid = arguments.hybrid
let storePath = arguments.store

// MARK: Deterministic generator

extension SplitMix64 {
    mutating func int(_ range: ClosedRange<Int>) -> Int {
        range.lowerBound + Int(next() % UInt64(range.upperBound - range.lowerBound + 1))
    }
    mutating func unit() -> Double { Double(next() >> 11) / Double(1 << 53) }
    mutating func chance(_ p: Double) -> Bool { unit() < p }
}

/// Zipf(s≈1) sampling over `count` ranks by inverse CDF on a precomputed table.
struct Zipf {
    let cdf: [Double]
    init(count: Int, exponent: Double = 1.0) {
        var acc = 0.0
        var c: [Double] = []
        c.reserveCapacity(count)
        for r in 1...count { acc += 1 / pow(Double(r), exponent); c.append(acc) }
        cdf = c.map { $0 / acc }
    }
    func sample(_ rng: inout SplitMix64) -> Int {
        let u = rng.unit()
        var lo = 0, hi = cdf.count - 1
        while lo < hi {
            let mid = (lo + hi) / 2
            if cdf[mid] < u { lo = mid + 1 } else { hi = mid }
        }
        return lo
    }
}

var rng = SplitMix64(seed: seed)

let englishCore = """
the of and to in a is that for it as was with be by on not he this are or his from at which but have an they \
you were her she there been one all we their has would when if so no will more can said who what about out up \
research technology institute industry energy semiconductor display battery solar wind hydrogen vehicle electric \
system network sensor robot machine learning artificial intelligence data cloud edge chip wafer laser optical \
medical device health care hospital patient diagnosis biotech material polymer composite metal ceramic coating \
process manufacturing factory automation smart city transport traffic safety security privacy software hardware \
design prototype pilot production startup company partner license patent award innovation program project team \
laboratory campus museum exhibition hall visitor tour guide ticket booking group school student teacher family \
opening hours weekday weekend holiday parking shuttle bus train station airport map entrance exit floor room \
taiwan hsinchu taipei tainan chungli science park region country world global international market export \
million billion percent year month week day history founded established president director engineer scientist
""".split(whereSeparator: { $0 == " " || $0 == "\n" }).map(String.init)

let syllables = ["ka", "lo", "mi", "ren", "tor", "vi", "sel", "an", "qu", "dra", "pen", "zo", "lit", "mar", "ex",
                 "or", "ul", "ben", "cy", "fa", "gor", "hil", "jon", "ny", "pra", "sto", "tru", "vel", "wen", "yo"]
var englishVocabulary = englishCore
var seenWords = Set(englishCore)
while englishVocabulary.count < 20_000 {
    var w = ""
    for _ in 0..<rng.int(2...4) { w += syllables[rng.int(0...(syllables.count - 1))] }
    if seenWords.insert(w).inserted { englishVocabulary.append(w) }
}
let englishZipf = Zipf(count: englishVocabulary.count)

let chineseCore = """
研究 技術 工業 產業 能源 半導體 顯示器 電池 太陽能 風力 氫能 電動車 系統 網路 感測器 機器人 機器學習 人工智慧 資料 雲端 \
晶片 晶圓 雷射 光電 醫療 器材 健康 照護 醫院 病人 診斷 生技 材料 高分子 複合 金屬 陶瓷 塗層 製程 製造 工廠 自動化 \
智慧城市 交通 安全 資安 隱私 軟體 硬體 設計 原型 試量產 新創 公司 夥伴 授權 專利 獎項 創新 計畫 專案 團隊 實驗室 \
園區 博物館 展覽 展示館 參觀 導覽 門票 預約 團體 學校 學生 老師 家庭 開放 時間 平日 週末 假日 停車 接駁車 公車 火車站 \
機場 地圖 入口 出口 樓層 會議室 台灣 新竹 台北 台南 中壢 科學園區 區域 國家 世界 全球 國際 市場 出口 百萬 億 百分之 \
年 月 週 歷史 成立 設立 院長 主任 工程師 科學家 我們 他們 這個 那個 以及 因為 所以 但是 如果 已經 可以 需要 提供 \
發展 應用 推動 合作 協助 成果 服務 民眾 企業 政府 未來 目前 重要 主要 相關 包括 透過 進行 完成 建立 提升 降低
""".split(whereSeparator: { $0 == " " || $0 == "\n" }).map(String.init)
let chineseFunction = ["的", "是", "在", "了", "和", "與", "及", "也", "都", "為", "有", "將", "並", "於"]
// Extra two-character "words" from common-range ideographs, so the index sees a realistic
// spread of rare bigrams.
var chineseVocabulary = chineseCore
var seenChinese = Set(chineseCore)
while chineseVocabulary.count < 12_000 {
    let a = UnicodeScalar(0x4E00 + rng.int(0...6000))!, b = UnicodeScalar(0x4E00 + rng.int(0...6000))!
    let w = String(Character(a)) + String(Character(b))
    if seenChinese.insert(w).inserted { chineseVocabulary.append(w) }
}
let chineseZipf = Zipf(count: chineseVocabulary.count)

func englishSentence(_ rng: inout SplitMix64) -> String {
    var words: [String] = []
    for _ in 0..<rng.int(7...20) { words.append(englishVocabulary[englishZipf.sample(&rng)]) }
    var s = words.joined(separator: " ")
    s = s.prefix(1).uppercased() + s.dropFirst()
    return s + (rng.chance(0.9) ? "." : "?")
}

func chineseSentence(_ rng: inout SplitMix64) -> String {
    var s = ""
    for i in 0..<rng.int(5...14) {
        s += chineseVocabulary[chineseZipf.sample(&rng)]
        if rng.chance(0.35) { s += chineseFunction[rng.int(0...(chineseFunction.count - 1))] }
        if i > 3 && rng.chance(0.12) { s += "，" }
        if rng.chance(0.04) { s += " " + englishVocabulary[rng.int(100...300)].uppercased() + " " }
    }
    return s + "。"
}

func passage(_ rng: inout SplitMix64, chinese: Bool) -> (title: String, content: String) {
    if chinese {
        let target = rng.int(80...520)
        var content = ""
        while content.count < target { content += chineseSentence(&rng) }
        var title = ""
        for _ in 0..<rng.int(2...3) { title += chineseVocabulary[chineseZipf.sample(&rng) % 800] }
        return (title, content)
    } else {
        let target = rng.int(150...850)
        var sentences: [String] = []
        var length = 0
        while length < target {
            let s = englishSentence(&rng)
            sentences.append(s)
            length += s.count + 1
        }
        var title: [String] = []
        for _ in 0..<rng.int(2...5) { title.append(englishVocabulary[englishZipf.sample(&rng) % 2000].capitalized) }
        return (title.joined(separator: " "), sentences.joined(separator: " "))
    }
}

// MARK: Corpus

let work = URL(fileURLWithPath: NSTemporaryDirectory()).appendingPathComponent("tonehost-kb-bench-\(getpid())")
let corpusDir = work.appendingPathComponent("corpus")
try FileManager.default.createDirectory(at: corpusDir, withIntermediateDirectories: true)
defer { if !keep { try? FileManager.default.removeItem(at: work) } }
let reuseStore = storePath.map { FileManager.default.fileExists(atPath: $0) && ((try? KnowledgeStore(path: $0).passageCount()) ?? 0) > 0 } ?? false
if reuseStore { print("(--store \(storePath!) holds passages: the corpus is generated for the queries only)") }

print("generating \(passageTarget) passages ...")
let generationStart = Date()
var sampleChinese: [String] = []
var sampleEnglishTitles: [String] = []
var written = 0
var fileIndex = 0
var corpusBytes = 0
while written < passageTarget {
    let count = min(1000, passageTarget - written)
    var entries: [[String: String]] = []
    entries.reserveCapacity(count)
    for _ in 0..<count {
        let chinese = rng.chance(0.45)
        let p = passage(&rng, chinese: chinese)
        if chinese, sampleChinese.count < 2000 { sampleChinese.append(p.content) }
        if !chinese, sampleEnglishTitles.count < 2000 { sampleEnglishTitles.append(p.title) }
        entries.append(["title": p.title, "content": p.content, "category": chinese ? "研究" : "research",
                        "source": "synthetic-\(fileIndex).json"])
    }
    let data = try JSONSerialization.data(withJSONObject: entries)
    corpusBytes += data.count
    if !reuseStore { try data.write(to: corpusDir.appendingPathComponent(String(format: "part-%05d.json", fileIndex))) }
    written += count
    fileIndex += 1
}
print(String(format: "generated %d passages in %d files (%.1f MB of JSON) in %.1f s",
             written, fileIndex, Double(corpusBytes) / 1_048_576, Date().timeIntervalSince(generationStart)))

// MARK: Ingest

let dbPath = storePath ?? work.appendingPathComponent("bench.db").path
let store = try KnowledgeStore(path: dbPath)
if try store.passageCount() > 0 {
    print("store \(dbPath) already holds \(try store.passageCount()) passages: ingest skipped")
} else {
    let ingestStart = Date()
    let summary = try store.ingest(paths: [corpusDir.path])
    let ingestSeconds = Date().timeIntervalSince(ingestStart)
    if !summary.skipped.isEmpty { print("skipped:", summary.skipped) }
    print(String(format: "ingest: %d passages from %d files in %.2f s = %.0f passages/s",
                 try store.passageCount(), summary.files, ingestSeconds, Double(summary.passages) / max(ingestSeconds, 1e-9)))

    let reingestStart = Date()
    let again = try store.ingest(paths: [corpusDir.path])
    print(String(format: "re-ingest (unchanged files): %d unchanged in %.2f s, %d passages now",
                 again.unchanged, Date().timeIntervalSince(reingestStart), try store.passageCount()))
}
let stored = try store.passageCount()

// MARK: Queries

var queries: [String] = []
let englishStarts = ["What is", "Tell me about", "How does", "Where is the", "When did", ""]
let chineseEnds = ["是什麼？", "在哪裡？", "有哪些應用？", "", "的成果", "如何預約？"]
for i in 0..<queryCount {
    switch i % 5 {
    case 0, 1:  // English: a few Zipf words behind a question opener
        var words: [String] = []
        for _ in 0..<rng.int(2...4) { words.append(englishVocabulary[englishZipf.sample(&rng)]) }
        queries.append("\(englishStarts[rng.int(0...(englishStarts.count - 1))]) \(words.joined(separator: " "))?")
    case 2:  // English: a known title
        queries.append(sampleEnglishTitles[rng.int(0...(sampleEnglishTitles.count - 1))])
    case 3:  // Chinese: a phrase from a passage plus a question ending
        let text = Array(sampleChinese[rng.int(0...(sampleChinese.count - 1))])
        let len = rng.int(3...8)
        let start = rng.int(0...max(0, text.count - len - 1))
        queries.append(String(text[start..<min(text.count, start + len)]) + chineseEnds[rng.int(0...(chineseEnds.count - 1))])
    default:  // mixed Chinese / English
        queries.append("\(chineseVocabulary[chineseZipf.sample(&rng) % 400])的 \(englishVocabulary[rng.int(100...300)].uppercased()) \(chineseVocabulary[chineseZipf.sample(&rng)])")
    }
}

func percentile(_ sorted: [Double], _ p: Double) -> Double {
    guard !sorted.isEmpty else { return 0 }
    let rank = p / 100 * Double(sorted.count - 1)
    let lo = Int(rank.rounded(.down)), hi = Int(rank.rounded(.up))
    return sorted[lo] + (sorted[hi] - sorted[lo]) * (rank - Double(lo))
}

func residentMegabytes() -> Double {
    guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
          let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmRSS:") }),
          let kb = Double(line.split(separator: " ").dropFirst().first ?? "") else { return 0 }
    return kb / 1024
}

/// One single-thread run of every query: sorted latencies, the results, the slowest queries.
func lexicalRun(_ evaluation: KnowledgeStore.LexicalEvaluation, label: String) throws -> (sorted: [Double], results: [[String]]) {
    // Warm the caches the way a running host would be warm.
    for q in queries.prefix(20) { _ = try store.search(q, language: LanguageDetector.answerLanguage(for: q), evaluation: evaluation) }
    var latencies: [Double] = []
    var timed: [(ms: Double, query: String)] = []
    var results: [[String]] = []
    var empty = 0
    latencies.reserveCapacity(queries.count)
    for q in queries {
        let t0 = DispatchTime.now().uptimeNanoseconds
        let found = try store.search(q, language: LanguageDetector.answerLanguage(for: q), topK: 6, evaluation: evaluation)
        let ms = Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e6
        latencies.append(ms)
        timed.append((ms, q))
        results.append(found.map(\.id))
        if found.isEmpty {
            empty += 1
            if verbose && empty <= 5 && evaluation == .fts { print("  no result: \(q)") }
        }
    }
    latencies.sort()
    if verbose {
        for t in timed.sorted(by: { $0.ms > $1.ms }).prefix(5) { print(String(format: "  slow (%@): %.2f ms  %@", label, t.ms, t.query)) }
    }
    print(String(format: "search %@ (1 thread, %d queries, top 6): p50 %.2f ms, p95 %.2f ms, p99 %.2f ms, max %.2f ms, mean %.2f ms; %d with no result",
                 label, queries.count, percentile(latencies, 50), percentile(latencies, 95), percentile(latencies, 99),
                 latencies.last ?? 0, latencies.reduce(0, +) / Double(max(1, latencies.count)), empty))
    return (latencies, results)
}

let reference = try lexicalRun(.fts, label: "inside FTS5 only (reference)")
let rssBeforeLexical = residentMegabytes()
let lexicalLoadStart = Date()
let lexicalBytes = try store.loadLexicalIndex()
let lexicalSize = store.lexicalIndexSize
print(String(format: "lexical index: %d common terms, %d postings, %.1f MB, built in %.2f s; resident memory %.0f MB -> %.0f MB",
             lexicalSize.terms, lexicalSize.postings, Double(lexicalBytes) / 1_048_576, Date().timeIntervalSince(lexicalLoadStart),
             rssBeforeLexical, residentMegabytes()))
let indexed = try lexicalRun(.automatic, label: "with the lexical index")
let latencies = indexed.sorted
let differing = zip(reference.results, indexed.results).filter { $0 != $1 }.count
print(String(format: "lexical index vs FTS5 only, same run: p50 %.2fx, p95 %.2fx, p99 %.2fx; %d of %d queries with other results",
             percentile(latencies, 50) / max(percentile(reference.sorted, 50), 1e-9),
             percentile(latencies, 95) / max(percentile(reference.sorted, 95), 1e-9),
             percentile(latencies, 99) / max(percentile(reference.sorted, 99), 1e-9), differing, queries.count))

// The same queries from several threads at once (the host searches concurrently).
let concurrentStart = Date()
let lock = NSLock()
var concurrentLatencies: [Double] = []
var failures = 0
DispatchQueue.concurrentPerform(iterations: threads) { t in
    var local: [Double] = []
    for (i, q) in queries.enumerated() where i % threads == t {
        let t0 = DispatchTime.now().uptimeNanoseconds
        do {
            _ = try store.search(q, language: LanguageDetector.answerLanguage(for: q), topK: 6)
        } catch {
            lock.lock(); failures += 1; lock.unlock()
        }
        local.append(Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e6)
    }
    lock.lock(); concurrentLatencies += local; lock.unlock()
}
let concurrentSeconds = Date().timeIntervalSince(concurrentStart)
concurrentLatencies.sort()
print(String(format: "search (%d threads): %.0f queries/s, p50 %.2f ms, p95 %.2f ms, p99 %.2f ms, %d errors",
             threads, Double(queries.count) / concurrentSeconds, percentile(concurrentLatencies, 50),
             percentile(concurrentLatencies, 95), percentile(concurrentLatencies, 99), failures))

// MARK: Size

var size: Int64 = 0
for suffix in ["", "-wal", "-shm"] {
    if let attributes = try? FileManager.default.attributesOfItem(atPath: dbPath + suffix),
       let bytes = attributes[.size] as? NSNumber { size += bytes.int64Value }
}
print(String(format: "store size: %.1f MB (%.0f bytes/passage; JSON corpus %.1f MB)%@",
             Double(size) / 1_048_576, Double(size) / Double(max(1, stored)), Double(corpusBytes) / 1_048_576,
             keep ? " at \(dbPath)" : ""))

// MARK: Hybrid

/// A unit vector determined by the text (an embedder's stand-in): same text, same vector.
func syntheticVector(_ text: String, dimension: Int) -> [Float] {
    var h: UInt64 = 0xcbf29ce484222325
    for b in text.utf8 { h = (h ^ UInt64(b)) &* 0x100000001b3 }
    var g = SplitMix64(seed: h)
    var v = (0..<dimension).map { _ in Float(g.unit() * 2 - 1) }
    let norm = v.reduce(0) { $0 + $1 * $1 }.squareRoot()
    for i in v.indices { v[i] /= norm }
    return v
}

if hybrid {
    let model = "bench:synthetic-\(dimension)"
    let embedStart = Date()
    let embedded = try store.embedMissing(batchSize: 512, embed: { texts in
        texts.map { Embedding(model: model, values: syntheticVector($0, dimension: dimension)) }
    })
    print(String(format: "vectors: %d passages x %d dimensions stored in %.2f s", embedded.embedded, dimension, Date().timeIntervalSince(embedStart)))
    let rssBefore = residentMegabytes()
    let loadStart = Date()
    let indexBytes = try store.loadVectorIndex()
    print(String(format: "vector index: %.1f MB (int8, one scale per row) built in %.2f s; resident memory %.0f MB -> %.0f MB",
                 Double(indexBytes) / 1_048_576, Date().timeIntervalSince(loadStart), rssBefore, residentMegabytes()))
    // Query vectors: near a passage's (a question about it), so the dense half finds real neighbours.
    var qrng = SplitMix64(seed: seed &+ 7)
    let queryVectors: [[Float]] = queries.indices.map { i in
        let text = i % 2 == 0 ? sampleChinese[qrng.int(0...(sampleChinese.count - 1))] : queries[i]
        var v = syntheticVector(text, dimension: dimension)
        for j in v.indices { v[j] += Float(qrng.unit() * 2 - 1) * 0.02 }
        return v
    }
    for (q, v) in zip(queries.prefix(20), queryVectors) {
        _ = try store.search(q, language: LanguageDetector.answerLanguage(for: q), topK: 6, vector: Embedding(model: model, values: v))
    }
    var hybridLatencies: [Double] = []
    var usedVectors = 0
    for (q, v) in zip(queries, queryVectors) {
        let t0 = DispatchTime.now().uptimeNanoseconds
        let r = try store.search(q, language: LanguageDetector.answerLanguage(for: q), topK: 6, vector: Embedding(model: model, values: v))
        hybridLatencies.append(Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e6)
        if r.usedVectors { usedVectors += 1 }
    }
    hybridLatencies.sort()
    print(String(format: "hybrid search (1 thread, %d queries, top 6, %d-dim vectors, RRF): p50 %.2f ms, p95 %.2f ms, p99 %.2f ms, max %.2f ms; vectors used in %d",
                 queries.count, dimension, percentile(hybridLatencies, 50), percentile(hybridLatencies, 95), percentile(hybridLatencies, 99),
                 hybridLatencies.last ?? 0, usedVectors))
    // The dense half alone: a query with no lexical terms.
    var denseLatencies: [Double] = []
    for v in queryVectors {
        let t0 = DispatchTime.now().uptimeNanoseconds
        _ = try store.search("", language: nil, topK: 6, vector: Embedding(model: model, values: v))
        denseLatencies.append(Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e6)
    }
    denseLatencies.sort()
    print(String(format: "vector search alone (1 thread, %d queries): p50 %.2f ms, p95 %.2f ms, p99 %.2f ms",
                 queryVectors.count, percentile(denseLatencies, 50), percentile(denseLatencies, 95), percentile(denseLatencies, 99)))
    var size: Int64 = 0
    for suffix in ["", "-wal", "-shm"] {
        if let attributes = try? FileManager.default.attributesOfItem(atPath: dbPath + suffix),
           let bytes = attributes[.size] as? NSNumber { size += bytes.int64Value }
    }
    print(String(format: "store size with vectors: %.1f MB; resident memory %.0f MB", Double(size) / 1_048_576, residentMegabytes()))
}
