import ArgumentParser
import Foundation
import TonehostCore
import TonehostText

/// `tonehost eval FILE.tsv`: how well retrieval (and, with `--answer`, the whole answer) does on
/// a set of questions with known answers — recall@k, MRR, answer accuracy and the misses.
struct EvalCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "eval",
        abstract: "Score retrieval (recall@k, MRR) and, with --answer, the answers on a TSV of questions with their expected passage and answer.",
        discussion: """
            Each line of the TSV: QUESTION <tab> EXPECTED PASSAGE <tab> EXPECTED ANSWER <tab> TAG (the last two optional; \
            lines starting with # and blank lines are skipped).
            EXPECTED PASSAGE: one or more of `id:ID`, `title:EXACT TITLE`, `re:REGEX` (over the title and content) joined \
            with ` || ` (any of them counts as the passage), or `-` when no passage answers the question.
            EXPECTED ANSWER: a regular expression the answer must match (case-insensitive); empty: not scored.
            TAG: a label (factoid, paraphrase, …) the figures are broken down by.
            """)

    @OptionGroup var options: PluginOptions

    @Option(name: .long, help: "The knowledge-base store to evaluate against (a path that must exist, or `sample`: a fresh store with the bundled sample). Default: --db, then $TONEHOST_DB, then the default path.")
    var kb: String?

    @Option(name: .customLong("k"), help: "Passages retrieved per question (recall@k, MRR@k, and what the answerer is given).")
    var k: Int = 6

    @Flag(name: .long, help: "Also run each question through the whole pipeline (tone conversion off) and score the answer.")
    var answer = false

    @Option(name: .long, help: "Exit 1 when recall@k is below this (0…1).")
    var minRecall: Double?

    @Option(name: .long, help: "Exit 1 when answer accuracy is below this (0…1); needs --answer.")
    var minAnswers: Double?

    @Argument(help: "The TSV of questions.")
    var file: String

    func run() async throws {
        guard k >= 1 else {
            throw ExitCode(64, printing: "error: --k must be at least 1, found \(k)")
        }
        if kb != nil && options.db != nil {
            throw ExitCode(64, printing: "error: give the store with --kb or --db, not both")
        }
        let cases = try exitOnError(2, "error: ") { try EvalCase.load(file) }

        // The store: `sample` is a throw-away store the retriever seeds with the bundled sample;
        // a path must exist (the retriever would otherwise create it and seed the sample silently).
        var extra: [String: String] = [:]
        var scratch: String?
        if let kb {
            if kb == "sample" {
                let path = NSTemporaryDirectory() + "tonehost-eval-\(UUID().uuidString.prefix(8)).db"
                scratch = path
                extra["TONEHOST_DB"] = path
            } else {
                guard FileManager.default.fileExists(atPath: kb) else {
                    throw ExitCode(2, printing: "error: --kb \(kb): no such knowledge-base store (build one with `tonehost ingest --db \(kb) …`, or use --kb sample)")
                }
                extra["TONEHOST_DB"] = kb
            }
        }
        defer {
            if let scratch {
                for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: scratch + suffix) }
            }
        }

        let logger = options.makeLogger(label: "tonehost")
        let generation = try await options.loadGeneration(logger: logger, extraEnvironment: extra)
        var settings = PipelineSettings()
        settings.topK = k
        let pipeline = Pipeline(settings: settings, logger: logger)

        // With an embedder, retrieval is hybrid as in the pipeline: each question (as asked, the
        // pipeline's `natural` query) is embedded with purpose `query`. A failure stops the run:
        // lexical figures reported as hybrid ones would mislead.
        var vectors: [Embedding?] = Array(repeating: nil, count: cases.count)
        var mode = "lexical (no embedder)"
        if let embedder = generation.embedder {
            if scratch != nil {
                // The scratch store holds the sample without vectors: embed them first.
                let initialised = await generation.retriever.retrieverAdmin(initialize: true)
                guard initialised.ready else {
                    printError("error: embedding the sample with \(embedder.name) failed: \(initialised.message)")
                    throw ExitCode(2)
                }
            }
            do {
                vectors = try await embedder.embed(cases.map(\.question), purpose: .query, deadline: settings.retrievalDeadline).map { $0 }
            } catch {
                printError("error: embedding the questions with \(embedder.name) failed: \(error)")
                throw ExitCode(2)
            }
            let status = await generation.retriever.retrieverAdmin(initialize: false)
            mode = "hybrid, questions embedded by \(embedder.name) (\(vectors.first??.model ?? "?")); \(status.message)"
        }

        var results: [EvalResult] = []
        for (n, c) in cases.enumerated() {
            let language = LanguageDetector.answerLanguage(for: c.question)
            var result = EvalResult(evalCase: c)
            do {
                let passages = try await generation.retriever.retrieve(query: Pipeline.retrievalQuery(for: c.question),
                                                                       language: language.rawValue, topK: k, vector: vectors[n],
                                                                       deadline: settings.retrievalDeadline)
                result.retrieved = passages.map { ($0.id, $0.title) }
                result.rank = passages.firstIndex { p in c.expected.contains { $0.matches(id: p.id, title: p.title, content: p.content) } }
                    .map { $0 + 1 }
            } catch {
                result.error = "retrieval failed: \(error)"
            }
            if answer, c.answerPattern != nil {
                let request = PipelineRequest(question: c.question, sessionID: "eval-\(n)", convertTone: false)
                var text = ""
                for await event in pipeline.run(request, generation: generation) {
                    switch event {
                    case .text(let chunk): text += chunk
                    case .failure(let failure): result.error = "answer failed: \(failure)"
                    case .tone, .finished: break
                    case .timedOut: result.error = "answer timed out"
                    }
                }
                result.answer = text.trimmingCharacters(in: .whitespacesAndNewlines)
            }
            results.append(result)
        }

        let summary = EvalSummary(results: results, k: k, answers: answer)
        print("retrieval: \(mode)")
        print(summary.render(file: file))
        if let minRecall, let recall = summary.recall, recall < minRecall {
            throw ExitCode(1, printing: "recall@\(k) \(format(recall)) is below --min-recall \(format(minRecall))")
        }
        if let minAnswers {
            guard answer else {
                throw ExitCode(64, printing: "error: --min-answers needs --answer")
            }
            if let accuracy = summary.accuracy, accuracy < minAnswers {
                throw ExitCode(1, printing: "answer accuracy \(format(accuracy)) is below --min-answers \(format(minAnswers))")
            }
        }
    }
}

private func format(_ x: Double) -> String { String(format: "%.3f", x) }

/// One line of an eval TSV.
struct EvalCase {
    /// Which passage answers the question.
    enum Expectation {
        case id(String)
        case title(String)
        case pattern(NSRegularExpression)

        func matches(id: String, title: String, content: String) -> Bool {
            switch self {
            case .id(let expected): return id == expected
            case .title(let expected): return title == expected
            case .pattern(let regex):
                let text = title + "\n" + content
                return regex.firstMatch(in: text, range: NSRange(text.startIndex..., in: text)) != nil
            }
        }
    }

    var line: Int
    var question: String
    /// Empty: no passage answers the question (only the answer is scored).
    var expected: [Expectation]
    var expectedText: String
    var answerPattern: NSRegularExpression?
    var tag: String

    struct ParseError: Error, CustomStringConvertible {
        var description: String
    }

    static func load(_ path: String) throws -> [EvalCase] {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ParseError(description: "\(path): cannot read the file")
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw ParseError(description: "\(path): not UTF-8 text")
        }
        var cases: [EvalCase] = []
        for (i, rawLine) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = rawLine.hasSuffix("\r") ? rawLine.dropLast() : rawLine
            if line.trimmingCharacters(in: .whitespaces).isEmpty || line.hasPrefix("#") { continue }
            let fields = line.split(separator: "\t", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
            let at = "\(path):\(i + 1)"
            guard fields.count >= 2, !fields[0].isEmpty else {
                throw ParseError(description: "\(at): expected QUESTION<tab>EXPECTED PASSAGE[<tab>ANSWER REGEX[<tab>TAG]], found \(fields.count) field(s)")
            }
            guard fields.count <= 4 else {
                throw ParseError(description: "\(at): expected at most 4 tab-separated fields, found \(fields.count)")
            }
            var expected: [Expectation] = []
            if fields[1] != "-" {
                for part in fields[1].components(separatedBy: " || ") {
                    let p = part.trimmingCharacters(in: .whitespaces)
                    if p.hasPrefix("id:") {
                        expected.append(.id(String(p.dropFirst(3))))
                    } else if p.hasPrefix("title:") {
                        expected.append(.title(String(p.dropFirst(6))))
                    } else if p.hasPrefix("re:") {
                        expected.append(.pattern(try regex(String(p.dropFirst(3)), at: at, field: "expected passage")))
                    } else {
                        throw ParseError(description: "\(at): expected passage must be `id:…`, `title:…`, `re:…` or `-`, found '\(p)'")
                    }
                }
            }
            let answer = fields.count > 2 && !fields[2].isEmpty ? try regex(fields[2], at: at, field: "expected answer") : nil
            if expected.isEmpty && answer == nil {
                throw ParseError(description: "\(at): nothing to score: no expected passage (-) and no expected answer")
            }
            cases.append(EvalCase(line: i + 1, question: fields[0], expected: expected, expectedText: fields[1],
                                  answerPattern: answer, tag: fields.count > 3 ? fields[3] : ""))
        }
        if cases.isEmpty { throw ParseError(description: "\(path): no questions") }
        return cases
    }

    private static func regex(_ pattern: String, at: String, field: String) throws -> NSRegularExpression {
        do {
            return try NSRegularExpression(pattern: pattern, options: [.caseInsensitive])
        } catch {
            throw ParseError(description: "\(at): \(field) is not a valid regular expression: '\(pattern)'")
        }
    }
}

struct EvalResult {
    var evalCase: EvalCase
    var retrieved: [(id: String, title: String)] = []
    /// 1-based rank of the first expected passage among the retrieved ones.
    var rank: Int?
    var answer: String?
    var error: String?

    var scoresRetrieval: Bool { !evalCase.expected.isEmpty }
    var answerCorrect: Bool? {
        guard let answer, let pattern = evalCase.answerPattern, error == nil else { return answer == nil ? nil : false }
        return pattern.firstMatch(in: answer, range: NSRange(answer.startIndex..., in: answer)) != nil
    }
}

struct EvalSummary {
    var results: [EvalResult]
    var k: Int
    var answers: Bool

    struct Figures {
        var retrievalCount = 0, found = 0, reciprocal = 0.0
        var answerCount = 0, correct = 0

        mutating func add(_ r: EvalResult) {
            if r.scoresRetrieval {
                retrievalCount += 1
                if let rank = r.rank { found += 1; reciprocal += 1 / Double(rank) }
            }
            if let ok = r.answerCorrect {
                answerCount += 1
                if ok { correct += 1 }
            }
        }
    }

    var total: Figures { results.reduce(into: Figures()) { $0.add($1) } }
    var recall: Double? { let f = total; return f.retrievalCount > 0 ? Double(f.found) / Double(f.retrievalCount) : nil }
    var accuracy: Double? { let f = total; return f.answerCount > 0 ? Double(f.correct) / Double(f.answerCount) : nil }

    func render(file: String) -> String {
        var out = "\(file): \(results.count) questions, k=\(k)\n"
        let width = max(16, results.map { $0.evalCase.tag.count + 4 }.max() ?? 0)
        func line(_ label: String, _ f: Figures) -> String {
            var s = label.padding(toLength: width, withPad: " ", startingAt: 0)
            if f.retrievalCount > 0 {
                s += "recall@\(k) \(format(Double(f.found) / Double(f.retrievalCount))) (\(f.found)/\(f.retrievalCount))  "
                s += "MRR \(format(f.reciprocal / Double(f.retrievalCount)))"
            } else {
                s += "recall@\(k) -"
            }
            if answers {
                s += f.answerCount > 0 ? "  answers \(format(Double(f.correct) / Double(f.answerCount))) (\(f.correct)/\(f.answerCount))" : "  answers -"
            }
            return s + "\n"
        }
        out += line("all", total)
        let tags = results.map(\.evalCase.tag).filter { !$0.isEmpty }
        var seen = Set<String>()
        for tag in tags where seen.insert(tag).inserted {
            out += line("  " + tag, results.filter { $0.evalCase.tag == tag }.reduce(into: Figures()) { $0.add($1) })
        }
        let misses = results.filter { ($0.scoresRetrieval && $0.rank == nil) || $0.answerCorrect == false || $0.error != nil }
        if misses.isEmpty { return out + "misses: none" }
        out += "misses (\(misses.count)):"
        for r in misses {
            let c = r.evalCase
            out += "\n  line \(c.line): \(c.question)"
            if let error = r.error { out += "\n    \(error)" }
            if r.scoresRetrieval && r.rank == nil {
                out += "\n    retrieval: expected \(c.expectedText); got "
                out += r.retrieved.isEmpty ? "nothing" : r.retrieved.enumerated().map { "\($0 + 1). \($1.title)" }.joined(separator: " | ")
            }
            if r.answerCorrect == false, let answer = r.answer {
                out += "\n    answer: expected /\(c.answerPattern?.pattern ?? "")/; got \(answer.replacingOccurrences(of: "\n", with: " ").prefix(240))"
            }
        }
        return out
    }
}
