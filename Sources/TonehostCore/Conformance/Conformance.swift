import CTonehostABI
import Foundation
import Logging

/// `tonehost plugins test`: exercises one plugin library against the ABI's rules and says what
/// it violated. Each check makes real calls through the host's own call path (threads,
/// deadlines, cancellation) with `CallDiagnostics` recording what the plugin did.
public enum Conformance {
    public enum Outcome: Sendable {
        case passed(String)
        case failed(String)
        case skipped(String)
    }

    public struct Check: Sendable {
        public var name: String
        public var outcome: Outcome
    }

    public struct Report: Sendable {
        public var plugin: String
        public var checks: [Check] = []
        public var failures: Int { checks.filter { if case .failed = $0.outcome { return true } else { return false } }.count }
        public var passes: Int { checks.filter { if case .passed = $0.outcome { return true } else { return false } }.count }
    }

    /// Loads `library` — through `manifest` when given (its kind, config, `[simple]` table),
    /// else with a manifest made from the library's own descriptor — and runs every check.
    public static func run(library: String?, manifest: String?, environment: [String: String], logger: Logger) async throws -> Report {
        let file: String
        if let manifest {
            file = manifest
        } else {
            guard let library else { throw PluginLoadError(file: "(command line)", reason: "give a library or --manifest") }
            file = try synthesizeManifest(for: library)
        }
        var m = try PluginManifest.load(file: file, environment: environment)
        if let library { m.library = (library as NSString).standardizingPath.hasPrefix("/") ? library : FileManager.default.currentDirectoryPath + "/" + library }
        let path = try PluginLibrary.resolve(m, environment: environment)
        let plugin: PluginInstance
        if let simple = m.simple {
            let (descriptor, instance) = try SimplePlugin.open(m, spec: simple, path: path)
            plugin = try PluginInstance(manifest: m, libraryPath: path, descriptor: descriptor, logger: logger, pool: .shared, precreated: instance)
        } else {
            plugin = try PluginInstance(manifest: m, libraryPath: path, descriptor: try PluginLibrary.open(m, path: path), logger: logger, pool: .shared)
        }
        var report = Report(plugin: "\(m.name) (\(m.kind.rawValue), \(path))")
        let exercise = Exercise(plugin: plugin)
        report.checks.append(Check(name: "loads", outcome: .passed("\(plugin.pluginID)@\(plugin.pluginVersion)")))
        report.checks.append(await exercise.plain())
        report.checks.append(await exercise.chinese())
        report.checks.append(await exercise.large())
        report.checks.append(await exercise.concurrent())
        report.checks.append(contentsOf: await exercise.cancellation())
        if plugin.kind == .embedder { report.checks.append(contentsOf: await exercise.embedderShape()) }
        report.checks.append(exercise.errorsCarryMessages())
        return report
    }

    /// A manifest for a library given alone: its kind and category from its descriptor.
    static func synthesizeManifest(for library: String) throws -> String {
        let path = (library as NSString).standardizingPath
        guard let handle = dlopen(path, RTLD_NOW | RTLD_LOCAL) else {
            throw PluginLoadError(file: library, reason: "cannot load: \(dlerror().map { String(cString: $0) } ?? "unknown error")")
        }
        guard let entry = dlsym(handle, TONEHOST_PLUGIN_ENTRY_SYMBOL) else {
            throw PluginLoadError(file: library, reason: "no '\(TONEHOST_PLUGIN_ENTRY_SYMBOL)': a plain library needs --manifest with a [simple] table")
        }
        guard let d = unsafeBitCast(entry, to: tonehost_plugin_entry_fn.self)()?.pointee, let kind = PluginKind(abi: d.kind) else {
            throw PluginLoadError(file: library, reason: "the entry returned no descriptor or an unknown kind")
        }
        var text = "name = \"under-test\"\nkind = \"\(kind.rawValue)\"\nlibrary = \"\(path)\"\nabi_version = \(hostABIVersion)\n"
        if kind == .tone { text += "tone_category = \"\(d.tone_category.map { String(cString: $0) } ?? "conformance_friendly")\"\n" }
        let file = NSTemporaryDirectory() + "tonehost-conformance-\(getpid()).toml"
        try text.write(toFile: file, atomically: true, encoding: .utf8)
        return file
    }
}

/// The calls each check makes, per kind.
private struct Exercise {
    let plugin: PluginInstance
    let diagnostics = CallDiagnostics()

    static let english = "ITRI was founded in 1973. Its headquarters are in Hsinchu. It helped start TSMC."
    static let chinese = "工研院成立於1973年。總部位於新竹縣竹東鎮。台積電是從工研院衍生的公司。"
    static var huge: String { String(repeating: english + " " + chinese + "\n", count: 1600) }  // ~ 200 KB
    /// For the cancellation check: big enough that a plugin ignoring cancellation shows it, small
    /// enough that a well-behaved one that only computes finishes well inside a second.
    static var medium: String { String(repeating: english + " " + chinese + "\n", count: 160) }  // ~ 20 KB

    /// One call of the plugin's operation with `text` as its main input; the output as text.
    func call(_ text: String, deadline: Duration? = .seconds(30)) async throws -> String {
        try await CallDiagnostics.$current.withValue(diagnostics) {
            switch plugin.kind {
            case .tone:
                let language = text.unicodeScalars.contains { $0.value >= 0x4E00 && $0.value <= 0x9FFF } && !text.contains("ITRI") ? "zh-TW" : "en"
                return try await plugin.convertTone(ToneInput(text: text, userDescription: "a visitor", userMessage: "What is ITRI?",
                                                              language: language, firstMessage: true, segmentIndex: 0, isFinal: true,
                                                              sessionID: "conformance"), deadline: deadline)
            case .toneSelector:
                return try await plugin.selectTone(description: text, language: "en",
                                                   categories: ["child_friendly", "elder_friendly", "professional_friendly", "casual_friendly"],
                                                   deadline: deadline)
            case .describer:
                return try await plugin.describe(sessionID: "conformance", imageBase64: text.count > 1000 ? text : "", deadline: deadline)
            case .retriever:
                return try await plugin.retrieve(query: text, language: "en", topK: 3, deadline: deadline).map(\.content).joined(separator: "\n")
            case .llm:
                let out = Locked("")
                try await plugin.generate(GenerationInput(
                    purpose: "answer", messages: [ChatMessage(role: "system", content: "Answer from the passages."), ChatMessage(role: "user", content: text)],
                    question: text, language: "en",
                    passages: [RetrievedPassage(id: "p1", title: "ITRI", content: Self.english, source: "conformance", language: "en", score: 1)]),
                    deadline: deadline, onText: { out.append($0) })
                return out.value
            case .embedder:
                // A batch: one text per line (the large input is many texts at once).
                let texts = text.split(separator: "\n").map(String.init)
                let vectors = try await plugin.embed(texts.isEmpty ? [text] : texts, purpose: .document, deadline: deadline)
                return Self.summary(vectors)
            }
        }
    }

    /// What a batch of vectors looks like as text: model, dimension, and their first values
    /// (so two runs can be compared).
    static func summary(_ vectors: [Embedding]) -> String {
        guard let first = vectors.first else { return "" }
        let heads = vectors.map { v in v.values.prefix(4).map { String(format: "%.4f", $0) }.joined(separator: ",") }
        return "\(first.model) \(vectors.count)x\(first.values.count) " + heads.joined(separator: ";")
    }

    /// Embedders: every text of a batch gets one vector of the same dimension, for both
    /// purposes, and a batch gives each text the vector it gets alone.
    func embedderShape() async -> [Conformance.Check] {
        var checks: [Conformance.Check] = []
        let texts = [Self.english, Self.chinese, "Where is ITRI?", "工研院在哪裡？"]
        do {
            let documents = try await CallDiagnostics.$current.withValue(diagnostics) { try await plugin.embed(texts, purpose: .document) }
            let queries = try await CallDiagnostics.$current.withValue(diagnostics) { try await plugin.embed(texts, purpose: .query) }
            let dims = Set((documents + queries).map(\.values.count))
            if dims.count != 1 {
                checks.append(.init(name: "one vector per text, one dimension, both purposes", outcome: .failed("dimensions differ: \(dims.sorted())")))
            } else if documents.contains(where: { $0.values.contains { !$0.isFinite } }) {
                checks.append(.init(name: "one vector per text, one dimension, both purposes", outcome: .failed("a vector holds NaN or infinity")))
            } else {
                checks.append(.init(name: "one vector per text, one dimension, both purposes",
                                    outcome: .passed("\(documents[0].model), \(dims.first!) dimensions")))
            }
            let alone = try await CallDiagnostics.$current.withValue(diagnostics) { try await plugin.embed([texts[1]], purpose: .document) }
            let drift = zip(alone[0].values, documents[1].values).map { abs($0 - $1) }.max() ?? 0
            checks.append(.init(name: "a text's vector does not depend on its batch",
                                outcome: drift > 1e-3 ? .failed("text 2 of a batch differs from the same text alone by up to \(drift)")
                                                      : .passed("max difference \(drift)")))
        } catch {
            checks.append(.init(name: "one vector per text, one dimension, both purposes", outcome: .failed("\(error)")))
        }
        return checks
    }

    /// How many times a describer is asked before "it never describes anyone" is a failure: an
    /// empty description is a describer's legal answer (nobody in front of the camera; the random
    /// simulator's pool holds one on purpose), so one empty answer proves nothing.
    static let describerAttempts = 8

    func plain() async -> Conformance.Check {
        do {
            var out = try await call(Self.english)
            var empties = 0
            while out.isEmpty, plugin.kind == .describer, empties + 1 < Self.describerAttempts {
                empties += 1
                out = try await call(Self.english)
            }
            if out.isEmpty && plugin.kind == .describer {
                return .init(name: "answers a plain request", outcome: .failed("returned OK with an empty description \(Self.describerAttempts) times in a row"))
            }
            if out.isEmpty && plugin.kind != .retriever { return .init(name: "answers a plain request", outcome: .failed("returned OK with no output")) }
            let after = empties > 0 ? " (after \(empties) empty description\(empties == 1 ? "" : "s"), which a describer may give)" : ""
            return .init(name: "answers a plain request", outcome: .passed("\(out.utf8.count) bytes\(after)"))
        } catch {
            return .init(name: "answers a plain request", outcome: .failed("\(error)"))
        }
    }

    func chinese() async -> Conformance.Check {
        let name = "keeps UTF-8 whole (Traditional Chinese, chunks may split characters)"
        let before = diagnostics.events.count
        do {
            let out = try await call(Self.chinese)
            let broken = diagnostics.events.dropFirst(before).compactMap { if case .incompleteUTF8(let n) = $0.event { return n } else { return nil } }
            if let n = broken.first { return .init(name: name, outcome: .failed("the output ended inside a UTF-8 sequence (\(n) bytes left over)")) }
            if out.unicodeScalars.contains("\u{FFFD}") { return .init(name: name, outcome: .failed("the output holds invalid UTF-8 (U+FFFD)")) }
            return .init(name: name, outcome: .passed("\(out.unicodeScalars.count) characters"))
        } catch {
            return .init(name: name, outcome: .failed("\(error)"))
        }
    }

    func large() async -> Conformance.Check {
        let name = "handles a large input (200 KB)"
        do {
            let out = try await call(Self.huge, deadline: .seconds(60))
            return .init(name: name, outcome: .passed("\(out.utf8.count) bytes out"))
        } catch let e as PluginCallError {
            // Refusing is allowed; it must say why (checked with the other errors).
            return .init(name: name, outcome: .passed("refused: \(e.message)"))
        } catch {
            return .init(name: name, outcome: .failed("\(error)"))
        }
    }

    func concurrent() async -> Conformance.Check {
        let name = "concurrent calls give the answers sequential calls give"
        if plugin.descriptor.pointee.flags & TONEHOST_FLAG_SERIALIZED != 0 {
            return .init(name: name, outcome: .skipped("TONEHOST_FLAG_SERIALIZED: the host never calls it concurrently"))
        }
        let inputs = (0..<16).map { "\(Self.english) Visitor number \($0)." }
        do {
            var sequential: [String] = []
            for input in inputs { sequential.append(try await call(input)) }
            // Deterministic when three inputs asked again answer the same (one could by chance:
            // a random describer repeats itself once in its pool's size).
            var deterministic = true
            for i in 0..<3 where try await call(inputs[i]) != sequential[i] { deterministic = false }
            let results = try await withThrowingTaskGroup(of: (Int, String).self) { group in
                for (i, input) in inputs.enumerated() { group.addTask { (i, try await call(input)) } }
                return try await group.reduce(into: [Int: String]()) { $0[$1.0] = $1.1 }
            }
            if deterministic, let i = inputs.indices.first(where: { results[$0] != sequential[$0] }) {
                return .init(name: name, outcome: .failed("call \(i) answered differently when 16 ran at once: \(results[i]?.prefix(80).debugDescription ?? "nil") vs \(sequential[i].prefix(80).debugDescription)"))
            }
            return .init(name: name, outcome: .passed(deterministic ? "16 at once, same answers" : "16 at once, all answered (answers vary run to run)"))
        } catch {
            return .init(name: name, outcome: .failed("\(error)"))
        }
    }

    /// A call whose deadline passes at once: the plugin should notice (`emit` returns non-zero,
    /// `is_cancelled`) and return soon.
    func cancellation() async -> [Conformance.Check] {
        let start = diagnostics.events.count
        let began = DispatchTime.now().uptimeNanoseconds
        _ = try? await call(Self.medium, deadline: .milliseconds(5))
        // The host stopped waiting; wait (a while) for the plugin itself to return.
        let giveUp = Date().addingTimeInterval(10)
        var returnedAt: UInt64?
        while Date() < giveUp {
            if let r = diagnostics.events.dropFirst(start).first(where: { if case .returned = $0.event { return true } else { return false } }) {
                returnedAt = r.at
                break
            }
            try? await Task.sleep(for: .milliseconds(10))
        }
        let events = diagnostics.events.dropFirst(start)
        let cancelledAt = events.first { if case .deadlinePassed = $0.event { return true } else { return false } }?.at
        let late = events.filter { if case .emitAfterCancel = $0.event { return true } else { return false } }.count
        guard let cancelledAt else {
            return [.init(name: "stops at its deadline", outcome: .skipped("finished within 5 ms: cancellation not exercised")),
                    .init(name: "stops emitting once emit returns non-zero", outcome: .skipped("not exercised"))]
        }
        var checks: [Conformance.Check] = []
        if let returnedAt {
            let ms = Int((Int64(returnedAt) - Int64(cancelledAt)) / 1_000_000)
            checks.append(.init(name: "stops at its deadline",
                                outcome: ms > 1000 ? .failed("returned \(ms) ms after its deadline passed (check is_cancelled or emit's return)")
                                                   : .passed("returned \(max(0, ms)) ms after the deadline")))
        } else {
            checks.append(.init(name: "stops at its deadline",
                                outcome: .failed("still running \(Int((DispatchTime.now().uptimeNanoseconds - began) / 1_000_000_000)) s after a 5 ms deadline")))
        }
        checks.append(.init(name: "stops emitting once emit returns non-zero",
                            outcome: late > 1 ? .failed("emitted \(late) more times after emit returned non-zero") : .passed("\(late) emit after cancel")))
        return checks
    }

    func errorsCarryMessages() -> Conformance.Check {
        let name = "failures carry a message (fail() before a negative status)"
        var failedSince = false
        var silent = 0
        var contradictory = 0
        for (event, _) in diagnostics.events {
            switch event {
            case .failed: failedSince = true
            case .returned(let status):
                if status < 0 && status != TONEHOST_ERR_CANCELLED && !failedSince { silent += 1 }
                if status == TONEHOST_OK && failedSince { contradictory += 1 }
                failedSince = false
            default: break
            }
        }
        if silent > 0 { return .init(name: name, outcome: .failed("\(silent) call(s) returned an error status without calling fail()")) }
        if contradictory > 0 { return .init(name: name, outcome: .failed("\(contradictory) call(s) called fail() and then returned TONEHOST_OK")) }
        return .init(name: name, outcome: .passed("every failure said why"))
    }
}
