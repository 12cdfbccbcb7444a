import ArgumentParser
import ExtractiveAnswer
import Foundation
import KnowledgeStore
import TonehostText

// tonehost-answer-bench [--db PATH] [--iterations N] [--dump FILE] TSV...
//
// The extractive answerer's cost per call, and a dump of its answers to compare across changes.
// Every question of the eval TSVs (first column) is retrieved as the pipeline does with the
// defaults (`QuestionFocus.retrievalQuery`, the question's answer language) from the store
// (--db, else a fresh store with the bundled sample).
//
// --dump FILE: writes, for every question, k ∈ {1, 3, 6, 10} and both answer languages, the
//   chunks the extractive-answerer plugin streams (`ExtractiveAnswerer.answerChunks`), one line
//   each: diff two dumps to check that a change keeps every answer byte for byte.
// Then (unless --iterations 0) it answers every question over its top 6 passages N times
// (after one warm-up round: the passage cache is warm, as in a serving host) and prints calls/s
// against a reference measured in the same run over the same passages: putting each retrieved
// passage's words into a Set<Substring> (stdlib hashing, untouched by the answerer's code).
// Build with `-c release` for meaningful figures.

struct Arguments: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "tonehost-answer-bench")
    @Option(help: "The store to retrieve from (default: a fresh store with the bundled sample).") var db: String?
    @Option(help: "Rounds of answering every question (0: only --dump).") var iterations = 200
    @Option(help: "Write every answer chunk here, to diff across changes.") var dump: String?
    @Argument(help: "Eval TSVs (the first column is the question).") var files: [String]

    func validate() throws {
        guard iterations >= 0 else { throw ValidationError("--iterations must be 0 or more, found \(iterations)") }
        guard !files.isEmpty else { throw ValidationError("give at least one eval TSV") }
    }
}
let arguments = Arguments.parseOrExit()
let dbPath = arguments.db
let iterations = arguments.iterations
let dumpPath = arguments.dump
let files = arguments.files

var questions: [String] = []
for file in files {
    guard let data = FileManager.default.contents(atPath: file), let text = String(data: data, encoding: .utf8) else {
        FileHandle.standardError.write(Data("\(file): cannot read the file as UTF-8\n".utf8))
        exit(2)
    }
    for line in text.split(separator: "\n") where !line.hasPrefix("#") {
        let question = line.split(separator: "\t", omittingEmptySubsequences: false)[0].trimmingCharacters(in: .whitespaces)
        if !question.isEmpty { questions.append(question) }
    }
}

let scratch = NSTemporaryDirectory() + "tonehost-answer-bench-\(UUID().uuidString.prefix(8)).db"
defer { for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: scratch + suffix) } }
let store: KnowledgeStore
do {
    if let dbPath {
        guard FileManager.default.fileExists(atPath: dbPath) else {
            FileHandle.standardError.write(Data("--db \(dbPath): no such store\n".utf8))
            exit(2)
        }
        store = try KnowledgeStore(path: dbPath)
    } else {
        store = try KnowledgeStore(path: scratch)
        _ = try store.seedSampleIfEmpty()
    }
} catch {
    FileHandle.standardError.write(Data("cannot open the store: \(error)\n".utf8))
    exit(2)
}

struct Case {
    var question: String
    var language: Language
    var passages: [SourcePassage]
}
func retrieve(_ question: String, language: Language, k: Int) -> [SourcePassage] {
    do {
        return try store.search(QuestionFocus.retrievalQuery(question), language: language, topK: k).map {
            SourcePassage(title: $0.title, content: $0.content, language: $0.language, score: $0.score)
        }
    } catch {
        FileHandle.standardError.write(Data("retrieval failed for '\(question)': \(error)\n".utf8))
        exit(1)
    }
}

if let dumpPath {
    var out = ""
    for question in questions {
        let asked = LanguageDetector.answerLanguage(for: question)
        for language in [asked, asked == .english ? Language.traditionalChinese : .english] {
            for k in [1, 3, 6, 10] {
                let chunks = ExtractiveAnswerer.answerChunks(question: question, language: language, passages: retrieve(question, language: asked, k: k))
                out += "\(question)\t\(language.rawValue)\tk=\(k)\t" + chunks.map { "[\($0)]" }.joined() + "\n"
            }
        }
    }
    do {
        try out.write(toFile: dumpPath, atomically: true, encoding: .utf8)
    } catch {
        FileHandle.standardError.write(Data("\(dumpPath): cannot write: \(error)\n".utf8))
        exit(1)
    }
    print("dumped \(questions.count * 8) answers to \(dumpPath)")
}

guard iterations > 0 else { exit(0) }
let cases = questions.map { q -> Case in
    let language = LanguageDetector.answerLanguage(for: q)
    return Case(question: q, language: language, passages: retrieve(q, language: language, k: 6))
}

var sink = 0
func answerRound() {
    for c in cases {
        sink &+= ExtractiveAnswerer.answerChunks(question: c.question, language: c.language, passages: c.passages).count
    }
}
func referenceRound() {
    for c in cases {
        for p in c.passages { sink &+= Set(p.content.split(separator: " ")).count }
    }
}
func seconds(_ body: () -> Void) -> Double {
    let start = DispatchTime.now().uptimeNanoseconds
    body()
    return Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
}

answerRound()
referenceRound()
// Interleaved so that both see the same machine load; best of 5 blocks each.
let block = max(1, iterations / 5)
var answerBest = Double.infinity, referenceBest = Double.infinity
for _ in 0..<5 {
    answerBest = min(answerBest, seconds { for _ in 0..<block { answerRound() } })
    referenceBest = min(referenceBest, seconds { for _ in 0..<block { referenceRound() } })
}
let calls = Double(block * cases.count)
let answerPerCall = answerBest / calls, referencePerCall = referenceBest / calls
print("\(cases.count) questions × top 6 passages, \(block) rounds per block, best of 5 blocks (checksum \(sink))")
print(String(format: "answerer:  %9.0f calls/s  (%.1f µs per call)", 1 / answerPerCall, answerPerCall * 1e6))
print(String(format: "reference: %9.0f calls/s  (%.1f µs per call: the call's passages' words into a Set<Substring>)",
             1 / referencePerCall, referencePerCall * 1e6))
print(String(format: "answerer call / reference call: %.2f", answerPerCall / referencePerCall))
