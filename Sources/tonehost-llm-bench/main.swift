import FakeBackends
import Foundation
import Logging
import TonehostCore

// 100 concurrent pipeline runs (describer ∥ retrieve → Ollama plugin streaming → rule tone)
// against a fake Ollama streaming 50 tokens at 20 ms each. Prints errors, time to first byte
// and total latency percentiles, and the host's thread count.
//
//   swift run -c release tonehost-llm-bench [--requests 100] [--tokens 50] [--delay-ms 20]

func argument(_ name: String, _ fallback: Int) -> Int {
    let args = CommandLine.arguments
    guard let i = args.firstIndex(of: name), i + 1 < args.count, let v = Int(args[i + 1]) else { return fallback }
    return v
}

func percentile(_ values: [Double], _ p: Double) -> Double {
    let sorted = values.sorted()
    guard !sorted.isEmpty else { return .nan }
    return sorted[min(sorted.count - 1, Int((p / 100 * Double(sorted.count)).rounded(.up)) - 1)]
}

func threadCount() -> Int {
    let status = (try? String(contentsOfFile: "/proc/self/status", encoding: .utf8)) ?? ""
    let line = status.split(separator: "\n").first { $0.hasPrefix("Threads:") } ?? ""
    return Int(line.split(separator: "\t").last.map(String.init) ?? "") ?? -1
}

let requests = argument("--requests", 100)
let tokens = argument("--tokens", 50)
let delay = argument("--delay-ms", 20)

var behaviour = FakeChatServer.Behaviour()
behaviour.answerTokens = (1...tokens).map { i in i % 10 == 0 ? "token\(i). " : "token\(i) " }
behaviour.tokenDelayMilliseconds = delay
let port = 20000 + Int(getpid() % 20000)
let fake = try await FakeChatServer(port: port, behaviour: behaviour)

// The default manifests, with the Ollama plugin as the llm.
let repo = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
let source = repo.appendingPathComponent("plugin-manifests").path
let dir = NSTemporaryDirectory() + "tonehost-llm-bench-\(getpid())"
try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
for file in try FileManager.default.contentsOfDirectory(atPath: source) where file.hasSuffix(".toml") && file != "llm-extractive.toml" {
    try? FileManager.default.removeItem(atPath: "\(dir)/\(file)")
    try FileManager.default.copyItem(atPath: "\(source)/\(file)", toPath: "\(dir)/\(file)")
}
try """
name = "ollama"
kind = "llm"
library = "libtonehost-llm-ollama.so"
abi_version = 1
[config]
base_url = "\(fake.url)"
model = "bench"
""".write(toFile: "\(dir)/llm.toml", atomically: true, encoding: .utf8)

var env = ProcessInfo.processInfo.environment
env["TONEHOST_DB"] = dir + "/kb.db"
var logger = Logger(label: "bench")
logger.logLevel = .error
let report = try await PluginThreadPool.shared.run { PluginLoader(directory: dir, environment: env, logger: logger).load() }
let generation = try PluginGeneration(report: report)
let pipeline = Pipeline(logger: logger)

// One warm-up run (opens the store, the connection).
for await _ in pipeline.run(PipelineRequest(question: "What is ITRI?", userDescription: "a tourist"), generation: generation) {}

struct Sample { var ttfb: Double?; var total: Double; var failed: Bool }
let threadsBefore = threadCount()
let start = ContinuousClock.now
func seconds(since t: ContinuousClock.Instant) -> Double {
    let d = ContinuousClock.now - t
    return Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18
}
let samples = await withTaskGroup(of: Sample.self) { group in
    for i in 0..<requests {
        group.addTask {
            let t0 = ContinuousClock.now
            var ttfb: Double?
            var failed = false
            let question = i % 2 == 0 ? "What is ITRI?" : "工研院是什麼？"
            let description = ["an elderly man with a walking stick", "一位穿著制服的小學生", "a woman in a business suit", "a tourist"][i % 4]
            for await event in pipeline.run(PipelineRequest(question: question, sessionID: "b\(i)", userDescription: description), generation: generation) {
                switch event {
                case .text: if ttfb == nil { ttfb = seconds(since: t0) }
                case .failure: failed = true
                default: break
                }
            }
            return Sample(ttfb: ttfb, total: seconds(since: t0), failed: failed)
        }
    }
    var all: [Sample] = []
    for await s in group { all.append(s) }
    return all
}
let wall = seconds(since: start)
let totals = samples.map(\.total)
let ttfbs = samples.compactMap(\.ttfb)
let generationTime = Double(tokens * delay) / 1000
print("requests \(requests), fake Ollama \(tokens) tokens x \(delay) ms (\(generationTime) s of generation each)")
print(String(format: "errors %d, wall %.3f s", samples.filter(\.failed).count, wall))
print(String(format: "total  p50 %.3f s  p95 %.3f s  p99 %.3f s  max %.3f s", percentile(totals, 50), percentile(totals, 95), percentile(totals, 99), totals.max() ?? 0))
print(String(format: "ttfb   p50 %.3f s  p95 %.3f s  p99 %.3f s", percentile(ttfbs, 50), percentile(ttfbs, 95), percentile(ttfbs, 99)))
print(String(format: "overhead vs generation time: p50 %+.1f %%", (percentile(totals, 50) / generationTime - 1) * 100))
print("threads: \(threadsBefore) before, \(threadCount()) after; plugin pool peak \(PluginThreadPool.shared.threadCount.peak)")
fake.stop()
