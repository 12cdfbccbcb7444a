import Foundation
import XCTest

/// The `executor` setting: by default (`event-loops`) a request's Swift tasks run on the I/O
/// threads that serve its connection, so the answers are computed there and not on Swift's
/// dispatch pool; `dispatch` puts them back on the pool. Both give the same answers.
final class ExecutorTests: XCTestCase {
    /// CPU ticks (utime + stime) of the server's threads, summed by kind of thread: NIO's event
    /// loops (`NIO-SGLTN-…`) and libdispatch's pool (`com.apple.root.…`, the names end in `-qos`).
    private func ticks(_ server: ServerProcess) -> (eventLoops: Int, dispatch: Int) {
        let tasks = "/proc/\(server.process.processIdentifier)/task"
        var loops = 0, pool = 0
        for tid in (try? FileManager.default.contentsOfDirectory(atPath: tasks)) ?? [] {
            guard let comm = try? String(contentsOfFile: "\(tasks)/\(tid)/comm", encoding: .utf8),
                  let stat = try? String(contentsOfFile: "\(tasks)/\(tid)/stat", encoding: .utf8),
                  let close = stat.lastIndex(of: ")") else { continue }
            // Fields after the command name: state is the 3rd field of the file, utime the 14th.
            let fields = stat[stat.index(after: close)...].split(separator: " ")
            let cpu = (Int(fields[11]) ?? 0) + (Int(fields[12]) ?? 0)
            if comm.hasPrefix("NIO-") { loops += cpu } else if comm.contains("qos") { pool += cpu }
        }
        return (loops, pool)
    }

    /// 160 toned answers, 4 at a time (the same questions and sessions on every run), and the
    /// CPU each kind of thread spent on them.
    private func answers(_ executor: String?) async throws -> (answers: [String], ticks: (eventLoops: Int, dispatch: Int)) {
        let db = NSTemporaryDirectory() + "tonehost-executor-\(UUID().uuidString.prefix(8)).db"
        let server = try ServerProcess(["serve", "--db", db, "--manifests", TestPlugins.repoRoot.appendingPathComponent("plugin-manifests").path],
                                       environment: executor.map { ["TONEHOST_EXECUTOR": $0] } ?? [:])
        defer { server.stop() }
        let questions = ["What is ITRI?", "工研院是什麼？", "When was ITRI founded?", "工研院在哪裡？"]
        let before = ticks(server)
        var all: [String] = []
        for round in 0..<40 {
            let batch = try await withThrowingTaskGroup(of: (Int, String).self) { group in
                for (i, q) in questions.enumerated() {
                    group.addTask {
                        let r = try await HTTP.postAsync(server.url + "/api/rag-llm/query-with-tone",
                                                         json: ["text_user_msg": q, "session_id": "executor-\(i)-\(round)", "user_description": "an old man with a cane"])
                        XCTAssertEqual(r.status, 200, r.text)
                        return (i, r.text)
                    }
                }
                return try await group.reduce(into: [String](repeating: "", count: questions.count)) { $0[$1.0] = $1.1 }
            }
            all += batch
        }
        let after = ticks(server)
        return (all, (after.eventLoops - before.eventLoops, after.dispatch - before.dispatch))
    }

    func testAnswersRunOnTheEventLoopsByDefaultAndOnDispatchWhenAsked() async throws {
        let loops = try await answers(nil)
        XCTAssertTrue(loops.answers.allSatisfy { $0.hasSuffix("END_FLAG\n") && $0.count > 40 }, loops.answers.joined(separator: "\n---\n"))
        XCTAssertGreaterThan(loops.ticks.eventLoops, 4 * max(loops.ticks.dispatch, 1),
                             "with executor = event-loops the answers should be computed on the I/O threads: \(loops.ticks)")

        let pool = try await answers("dispatch")
        XCTAssertEqual(pool.answers, loops.answers, "the executor must not change an answer")
        XCTAssertGreaterThan(pool.ticks.dispatch, pool.ticks.eventLoops,
                             "with executor = dispatch the answers should be computed on Swift's pool: \(pool.ticks)")
    }

    /// The host's own threads carry their names into the kernel (`ps -L`, `top -H`, `perf`):
    /// an operator sees which thread spins. Foundation's `Thread.name` alone never reached it on
    /// Linux, so every host thread showed its creator's name (`NIO-SGLTN-…`).
    func testHostThreadsAreNamedForOperators() async throws {
        let db = NSTemporaryDirectory() + "tonehost-names-\(UUID().uuidString.prefix(8)).db"
        let server = try ServerProcess(["serve", "--db", db, "--manifests", TestPlugins.repoRoot.appendingPathComponent("plugin-manifests").path])
        defer { server.stop() }
        // One answer with a session: its deadline is on the timer thread, its history on the pool.
        let r = try await HTTP.postAsync(server.url + "/api/rag-llm/query", json: ["text_user_msg": "工研院在哪裡？", "session_id": "names"])
        XCTAssertEqual(r.status, 200, r.text)
        let tasks = "/proc/\(server.process.processIdentifier)/task"
        let names = Set(try FileManager.default.contentsOfDirectory(atPath: tasks).compactMap { tid in
            (try? String(contentsOfFile: "\(tasks)/\(tid)/comm", encoding: .utf8))?.trimmingCharacters(in: .whitespacesAndNewlines)
        })
        for expected in ["tonehost-timers", "tonehost-plugin"] {
            XCTAssertTrue(names.contains(expected), "no thread named \(expected): \(names.sorted())")
        }
    }
}
