import Foundation
import Logging
import TonehostCore
import XCTest

/// Builds the C test plugins with the system C compiler (as a third party would) and writes
/// manifests for them into temporary directories.
enum TestPlugins {
    static let repoRoot: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let abiInclude = repoRoot.appendingPathComponent("Sources/CTonehostABI/include").path
    static let sourceDir = repoRoot.appendingPathComponent("Tests/TonehostTests/CPlugins").path
    /// Where the package's products (tonehost, lib*.so) are: `$TONEHOST_TEST_PRODUCTS` (to run
    /// these tests against another build, e.g. an earlier commit's), else next to the test bundle.
    static let productsDir: String = {
        if let dir = ProcessInfo.processInfo.environment["TONEHOST_TEST_PRODUCTS"], !dir.isEmpty { return dir }
        let exe = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        var dir = URL(fileURLWithPath: exe).deletingLastPathComponent()
        // swift test runs .build/debug/tonehostPackageTests.xctest
        while dir.path != "/" && !FileManager.default.fileExists(atPath: dir.appendingPathComponent("tonehost").path) {
            dir = dir.deletingLastPathComponent()
        }
        return dir.path
    }()

    private static let lock = NSLock()
    nonisolated(unsafe) private static var built: [String: String] = [:]
    static let buildDir: String = {
        let dir = NSTemporaryDirectory() + "tonehost-test-plugins-\(getpid())"
        try? FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        return dir
    }()

    /// Compiles CPlugins/<name>.c into lib<name>.so with `cc -shared -fPIC` (cached per run).
    static func library(_ name: String) throws -> String {
        lock.lock()
        defer { lock.unlock() }
        if let path = built[name] { return path }
        let output = "\(buildDir)/lib\(name).so"
        let result = try run("/usr/bin/env", ["cc", "-shared", "-fPIC", "-O1", "-Wall", "-I", abiInclude,
                                              "-o", output, "\(sourceDir)/\(name).c", "-lpthread"])
        guard result.status == 0 else {
            throw NSError(domain: "TestPlugins", code: 1, userInfo: [NSLocalizedDescriptionKey: "cc failed for \(name).c: \(result.output)"])
        }
        built[name] = output
        return output
    }

    struct Manifest {
        var file: String
        var name: String
        var kind: String
        var library: String
        var extra: String = ""
        var config: [String: Any] = [:]
    }

    /// A fresh manifest directory.
    static func makeDirectory() -> String {
        let dir = NSTemporaryDirectory() + "tonehost-manifests-\(UUID().uuidString.prefix(8))"
        try! FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        return dir
    }

    static func write(_ m: Manifest, to dir: String) throws {
        var text = "# written by the test\nname = \"\(m.name)\"\nkind = \"\(m.kind)\"\nlibrary = \"\(m.library)\"\nabi_version = 1\n\(m.extra)\n"
        if !m.config.isEmpty {
            text += "[config]\n"
            for (k, v) in m.config.sorted(by: { $0.key < $1.key }) {
                if let s = v as? String { text += "\(k) = \"\(s)\"\n" } else { text += "\(k) = \(v)\n" }
            }
        }
        try text.write(toFile: "\(dir)/\(m.file)", atomically: true, encoding: .utf8)
    }

    /// A complete set of C test plugins: describer, selector, teen tone (as casual too), llm, retriever.
    static func standardSet(describer: [String: Any] = [:], describerExtra: String = "", llm: [String: Any] = [:],
                            retriever: [String: Any] = [:], tone: [String: Any] = [:], selector: [String: Any]? = [:]) throws -> String {
        let dir = makeDirectory()
        try write(Manifest(file: "describer.toml", name: "test-describer", kind: "describer", library: try library("test_describer"),
                           extra: describerExtra, config: describer), to: dir)
        if let selector {
            try write(Manifest(file: "selector.toml", name: "test-selector", kind: "tone_selector", library: try library("test_selector"),
                               config: selector), to: dir)
        }
        for category in ["casual_friendly", "elder_friendly", "teen_friendly"] {
            try write(Manifest(file: "tone-\(category).toml", name: "tone-\(category)", kind: "tone", library: try library("teen_tone"),
                               extra: "tone_category = \"\(category)\"", config: tone), to: dir)
        }
        try write(Manifest(file: "llm.toml", name: "test-llm", kind: "llm", library: try library("test_llm"), config: llm), to: dir)
        try write(Manifest(file: "retriever.toml", name: "test-retriever", kind: "retriever", library: try library("test_retriever"),
                           config: retriever), to: dir)
        return dir
    }

    static func load(_ dir: String, environment: [String: String] = ProcessInfo.processInfo.environment) -> LoadReport {
        var logger = Logger(label: "test")
        logger.logLevel = .critical
        return PluginLoader(directory: dir, environment: environment, logger: logger).load()
    }

    static func generation(_ dir: String) throws -> PluginGeneration {
        try PluginGeneration(report: load(dir))
    }

    @discardableResult
    static func run(_ executable: String, _ arguments: [String], environment: [String: String]? = nil,
                    currentDirectory: String? = nil) throws -> (status: Int32, output: String, error: String) {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: executable)
        p.arguments = arguments
        if let environment { p.environment = environment }
        if let currentDirectory { p.currentDirectoryURL = URL(fileURLWithPath: currentDirectory) }
        let out = Pipe(), err = Pipe()
        p.standardOutput = out
        p.standardError = err
        try p.run()
        let outData = out.fileHandleForReading.readDataToEndOfFile()
        let errData = err.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return (p.terminationStatus, String(decoding: outData, as: UTF8.self) + String(decoding: errData, as: UTF8.self),
                String(decoding: errData, as: UTF8.self))
    }
}

/// Collects a pipeline run.
struct PipelineResult {
    var tone: ToneDecision?
    var text = ""
    var failure: String?
    var summary: PipelineSummary?
    var seconds: Double = 0
    /// Seconds from start to the first text chunk.
    var firstText: Double?
}

func runPipeline(_ request: PipelineRequest, _ generation: PluginGeneration, settings: PipelineSettings = PipelineSettings(),
                 logger given: Logger? = nil) async -> PipelineResult {
    var logger = given ?? Logger(label: "test")
    if given == nil { logger.logLevel = .critical }
    var result = PipelineResult()
    let start = ContinuousClock.now
    func seconds() -> Double {
        let d = ContinuousClock.now - start
        return Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18
    }
    for await event in Pipeline(settings: settings, logger: logger, descriptionCache: testDescriptionCache).run(request, generation: generation) {
        switch event {
        case .tone(let d): result.tone = d
        case .text(let t):
            if result.firstText == nil { result.firstText = seconds() }
            result.text += t
        case .failure(let f): result.failure = f.description
        case .finished(let s): result.summary = s
        case .timedOut: result.failure = "timed out"
        }
    }
    result.seconds = seconds()
    return result
}

/// One description cache for the pipelines the tests run (as the host runtime shares one).
let testDescriptionCache = DescriptionCache()
