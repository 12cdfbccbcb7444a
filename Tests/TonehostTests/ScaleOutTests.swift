import Foundation
import XCTest

/// Several `tonehost serve` processes behind the test's own nginx (round-robin, the repository's
/// proxy settings), sharing the test's own PostgreSQL: the visitor's history, `close`, and the
/// per-session rate limit follow them from host to host; a database that restarts or a host
/// that is killed costs what it must and no more.
final class ScaleOutTests: XCTestCase {
    struct Cluster {
        let postgres: LocalPostgres
        var hosts: [ServerProcess]
        let nginx: LocalNginx
        let manifests: String
        let environment: [String: String]
        let base: String

        func stop() {
            nginx.stop()
            for h in hosts { h.stop() }
        }

        /// Starts host `i` again on the same port (after it was killed).
        mutating func restart(_ i: Int) throws {
            hosts[i] = try ScaleOutTests.host(i, manifests: manifests, base: base, environment: environment, port: hosts[i].port)
        }
    }

    static func host(_ i: Int, manifests: String, base: String, environment: [String: String], port: Int? = nil) throws -> ServerProcess {
        try ServerProcess(["serve", "--manifests", manifests, "--db", "\(base)/host\(i).db"], environment: environment,
                          healthPath: "/readyz", port: port)
    }

    func cluster(hosts n: Int = 3, llm: [String: Any] = ["echo": 1], settings: [String: String] = [:],
                 postgres: LocalPostgres? = nil) throws -> Cluster {
        let pg = try postgres ?? LocalPostgres()
        let manifests = try TestPlugins.standardSet(llm: llm)
        let base = NSTemporaryDirectory() + "tonehost-scale-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: base, withIntermediateDirectories: true)
        var env = ["TONEHOST_SESSION_STORE": pg.url, "TONEHOST_SESSION_STORE_PASSWORD": LocalPostgres.password]
        for (k, v) in settings { env[k] = v }
        let hosts = try (0..<n).map { try Self.host($0, manifests: manifests, base: base, environment: env) }
        let nginx = try LocalNginx(upstreams: hosts.map(\.port))
        return Cluster(postgres: pg, hosts: hosts, nginx: nginx, manifests: manifests, environment: env, base: base)
    }

    static func encoded(_ session: String) -> String {
        session.addingPercentEncoding(withAllowedCharacters: .alphanumerics)!
    }

    /// `|messages=N` of the echo LLM: how many chat messages (history + the question) it got.
    static func messageCount(_ answer: String) -> Int? {
        guard let range = answer.range(of: "|messages=") else { return nil }
        return Int(answer[range.upperBound...].prefix { $0.isNumber })
    }

    func testVisitorAlternatingHostsKeepsOneHistoryAndCloseOnOneHostIsSeenByAll() throws {
        let c = try cluster()
        defer { c.stop() }
        let session = "訪客-\(UUID().uuidString.prefix(6))"
        var upstreams: [String] = []
        var counts: [Int] = []
        for (i, question) in ["工研院在哪裡？", "它是哪一年成立的？", "還有呢？", "And in English?"].enumerated() {
            let r = try HTTP.post(c.nginx.url + "/api/rag-llm/query", json: ["text_user_msg": question, "session_id": session])
            XCTAssertTrue(completed(r), "question \(i): \(r.status) \(r.text)")
            XCTAssertNil(r.headers["x-history"], "question \(i) was answered without history: \(r.text)")
            upstreams.append(r.headers["x-upstream"] ?? "?")
            counts.append(Self.messageCount(r.text) ?? -1)
        }
        XCTAssertEqual(Set(upstreams).count, 3, "round-robin should have used every host: \(upstreams)")
        // Every follow-up saw the turns before it, whichever host answered them.
        XCTAssertEqual(counts, (0..<4).map { counts[0] + 2 * $0 }, "history per question, across hosts \(upstreams)")
        for host in c.hosts {
            let h = try HTTP.get(host.url + "/api/rag-llm/sessions/\(Self.encoded(session))/history").json
            XCTAssertEqual(h["message_count"] as? Int, 8, "\(host.url): \(h)")
            let first = (h["history"] as? [[String: Any]])?.first
            XCTAssertEqual(first?["content"] as? String, "工研院在哪裡？")
        }

        // close on one host → every host sees an empty history.
        let closed = try HTTP.post(c.hosts[1].url + "/api/rag-llm/close", json: ["session_id": session]).json
        XCTAssertEqual(closed["messages_cleared"] as? Int, 8, "\(closed)")
        for host in c.hosts {
            let h = try HTTP.get(host.url + "/api/rag-llm/sessions/\(Self.encoded(session))/history").json
            XCTAssertEqual(h["message_count"] as? Int, 0, "\(host.url) still has history after close on another host: \(h)")
        }
        // The next question starts afresh wherever it lands; DELETE on another host clears it for all.
        let again = try HTTP.post(c.nginx.url + "/api/rag-llm/query", json: ["text_user_msg": "再問一次", "session_id": session])
        XCTAssertEqual(Self.messageCount(again.text), counts[0], again.text)
        XCTAssertEqual(try HTTP.delete(c.hosts[2].url + "/api/rag-llm/sessions/\(Self.encoded(session))/history").status, 200)
        XCTAssertEqual(try HTTP.get(c.hosts[0].url + "/api/rag-llm/sessions/\(Self.encoded(session))/history").json["message_count"] as? Int, 0)
        // The password given in the environment never reaches a log.
        for host in c.hosts { XCTAssertFalse(host.log.contains(LocalPostgres.password), host.log) }
    }

    func testPerSessionRateLimitHoldsAcrossHosts() throws {
        let c = try cluster(settings: ["TONEHOST_RATE_LIMIT_PER_SESSION": "3"])
        defer { c.stop() }
        let session = "limited-\(UUID().uuidString.prefix(6))"
        var statuses: [Int] = []
        var upstreams = Set<String>()
        for i in 0..<7 {
            let r = try HTTP.post(c.nginx.url + "/api/rag-llm/query", json: ["text_user_msg": "question \(i)", "session_id": session])
            statuses.append(r.status)
            upstreams.insert(r.headers["x-upstream"] ?? "?")
        }
        XCTAssertEqual(upstreams.count, 3, "\(upstreams)")
        // 3 a minute for the session on all hosts together (each host alone would allow 3 more).
        XCTAssertEqual(statuses.filter { $0 == 200 }.count, 3, "\(statuses)")
        XCTAssertEqual(statuses.filter { $0 == 429 }.count, 4, "\(statuses)")
        // Another session is not affected.
        XCTAssertEqual(try HTTP.post(c.nginx.url + "/api/rag-llm/query", json: ["text_user_msg": "hi", "session_id": session + "-other"]).status, 200)
    }

    func testTwoHostsMigratingTheSameEmptyDatabaseAtOnceMakeOneSchema() async throws {
        let pg = try LocalPostgres()
        try pg.createDatabase("race")
        let manifests = try TestPlugins.standardSet()
        let base = NSTemporaryDirectory() + "tonehost-race-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: base, withIntermediateDirectories: true)
        let env = ["TONEHOST_SESSION_STORE": pg.url(database: "race"), "TONEHOST_SESSION_STORE_PASSWORD": LocalPostgres.password]
        // Both start at the same moment against the empty database.
        async let a = Task.detached { try Self.host(0, manifests: manifests, base: base, environment: env) }.value
        async let b = Task.detached { try Self.host(1, manifests: manifests, base: base, environment: env) }.value
        let hosts = try await [a, b]
        defer { for h in hosts { h.stop() } }
        XCTAssertEqual(try pg.sql("SELECT count(*) || ':' || max(version) FROM tonehost_schema", database: "race"), "1:1")
        XCTAssertEqual(try pg.sql("SELECT count(*) FROM pg_tables WHERE tablename LIKE 'tonehost_%'", database: "race"), "4")
        for h in hosts {
            XCTAssertFalse(h.log.contains("level=error") || h.log.contains("level=critical"), h.log)
            let ready = try HTTP.get(h.url + "/readyz").json
            XCTAssertEqual(ready["status"] as? String, "ready", "\(ready)")
            XCTAssertEqual((ready["session_store"] as? [String: Any])?["shared"] as? Bool, true, "\(ready)")
        }
        XCTAssertEqual(hosts.filter { $0.log.contains("session store schema migrated") }.count, 1,
                       hosts.map(\.log).joined(separator: "\n---\n"))
    }

    func testPostgresRestartUnderLoadAnswersKeepStreamingAndHistoryResumes() async throws {
        let c = try cluster(hosts: 2, llm: ["delay_ms": 5, "text": words(20)])
        defer { c.stop() }
        let url = c.nginx.url
        let stopAt = Date().addingTimeInterval(9)
        // 20 visitors asking one question after another for 9 s.
        async let load: [HTTP.Response] = withThrowingTaskGroup(of: [HTTP.Response].self) { group in
            for v in 0..<20 {
                group.addTask {
                    var out: [HTTP.Response] = []
                    var i = 0
                    while Date() < stopAt {
                        out.append(try await HTTP.postAsync(url + "/api/rag-llm/query",
                                                            json: ["text_user_msg": "visitor \(v) question \(i)", "session_id": "load-\(v)"], timeout: 30))
                        i += 1
                    }
                    return out
                }
            }
            return try await group.reduce(into: []) { $0 += $1 }
        }
        try await Task.sleep(for: .seconds(2))
        c.postgres.stop()
        try await Task.sleep(for: .seconds(2))
        // Down: every host still serves, and says why it is degraded.
        for host in c.hosts {
            let r = try await HTTP.getAsync(host.url + "/readyz", timeout: 5)
            XCTAssertEqual(r.status, 200, r.text)
            XCTAssertEqual(r.json["status"] as? String, "degraded", r.text)
            XCTAssertTrue((r.json["reason"] as? String ?? "").contains("store_unavailable"), r.text)
        }
        try c.postgres.start()
        let responses = try await load
        XCTAssertGreaterThan(responses.count, 60)
        let failed = responses.filter { !completed($0) }
        XCTAssertEqual(failed.count, 0, failed.prefix(3).map { "\($0.status) \($0.text)" }.joined(separator: "\n"))
        XCTAssertGreaterThan(responses.filter { $0.headers["x-history"] == "unavailable" }.count, 0, "no answer was served without history")
        // Back: the hosts recover by themselves.
        var recovered = false
        for _ in 0..<50 where !recovered {
            let r = try await HTTP.postAsync(url + "/api/rag-llm/query", json: ["text_user_msg": "after", "session_id": "after-restart"])
            recovered = completed(r) && r.headers["x-history"] == nil
            if !recovered { try await Task.sleep(for: .milliseconds(200)) }
        }
        XCTAssertTrue(recovered, "history did not resume after PostgreSQL came back")
        let h = try await HTTP.getAsync(c.hosts[0].url + "/api/rag-llm/sessions/after-restart/history").json
        XCTAssertGreaterThanOrEqual(h["message_count"] as? Int ?? 0, 2, "\(h)")
        for host in c.hosts {
            var ready = ""
            for _ in 0..<40 {
                ready = try await HTTP.getAsync(host.url + "/readyz").json["status"] as? String ?? ""
                if ready == "ready" { break }
                try await Task.sleep(for: .milliseconds(250))
            }
            XCTAssertEqual(ready, "ready", host.log.suffix(2000).description)
            let metrics = try await HTTP.getAsync(host.url + "/metrics").text
            XCTAssertTrue(metrics.contains("tonehost_history_read_failures_total"), "failures are counted")
        }
    }

    func testKillNineOfOneHostUnderLoadLosesOnlyItsOwnStreamsAndTheHostRejoins() async throws {
        var c = try cluster(llm: ["delay_ms": 20, "text": words(40)])  // ~0.8 s per answer
        defer { c.stop() }
        let url = c.nginx.url
        @Sendable func wave(_ name: String, _ n: Int) async throws -> [(String, HTTP.Response?)] {
            try await withThrowingTaskGroup(of: (String, HTTP.Response?).self) { group in
                for i in 0..<n {
                    let session = "\(name)-\(i)"
                    group.addTask {
                        (session, try? await HTTP.postAsync(url + "/api/rag-llm/query", json: ["text_user_msg": "What is ITRI?", "session_id": session],
                                                            timeout: 30))
                    }
                }
                return try await group.reduce(into: []) { $0.append($1) }
            }
        }
        let victim = c.hosts[0]
        async let first = wave("kill", 100)
        try await Task.sleep(for: .milliseconds(400))  // every stream has started
        kill(victim.process.processIdentifier, SIGKILL)
        // Requests sent after the kill: nginx finds the host refusing, retries the next one.
        let second = try await wave("after-kill", 30)
        let inFlight = try await first
        XCTAssertEqual(second.filter { $0.1.map(completed) ?? false }.count, 30,
                       second.filter { !($0.1.map(completed) ?? false) }.prefix(3).map { "\($0.1?.status ?? 0) \($0.1?.text ?? "no response")" }.description)
        let done = inFlight.filter { $0.1.map(completed) ?? false }
        let lost = inFlight.count - done.count
        // The killed host's streams fail (cut, no END_FLAG); the other hosts' all complete.
        XCTAssertGreaterThan(done.count, 50, "only the killed host's streams may fail (lost \(lost))")
        XCTAssertLessThan(lost, 50)
        for (_, r) in inFlight where !(r.map(completed) ?? false) {
            if let r { XCTAssertFalse(r.text.contains("END_FLAG"), "a cut stream must not look complete: \(r.text)") }
        }
        // Every acknowledged answer (END_FLAG seen) is in the shared history.
        let survivor = c.hosts[1]
        for (session, _) in done + second {
            let h = try await HTTP.getAsync(survivor.url + "/api/rag-llm/sessions/\(session)/history").json
            XCTAssertEqual(h["message_count"] as? Int, 2, "\(session): \(h)")
        }
        // The host rejoins after a restart.
        try c.restart(0)
        var reached = false
        for _ in 0..<40 where !reached {
            let r = try await HTTP.postAsync(url + "/api/rag-llm/query", json: ["text_user_msg": "hello again", "session_id": "rejoin"])
            reached = completed(r) && r.headers["x-upstream"] == "127.0.0.1:\(victim.port)"
            if !reached { try await Task.sleep(for: .milliseconds(100)) }
        }
        XCTAssertTrue(reached, "the restarted host did not get requests again")
    }

    /// Each host keeps its own knowledge base; `/readyz` and `/metrics` show which content it
    /// holds, the same on hosts that ingested the same files in different folders, different
    /// on one that lags.
    func testKnowledgeBaseGenerationShowsAHostThatLags() throws {
        let tonehost = TestPlugins.productsDir + "/tonehost"
        let base = NSTemporaryDirectory() + "tonehost-kbgen-\(UUID().uuidString.prefix(8))"
        for folder in ["a", "b"] {
            try FileManager.default.createDirectory(atPath: "\(base)/\(folder)", withIntermediateDirectories: true)
            try "# 展覽\n\n本館的機器人展在三樓，每天十點開放。".write(toFile: "\(base)/\(folder)/robots.md", atomically: true, encoding: .utf8)
            let r = try TestPlugins.run(tonehost, ["ingest", "--db", "\(base)/\(folder).db", "\(base)/\(folder)/robots.md"])
            XCTAssertEqual(r.status, 0, r.error)
        }
        func readyKB(_ db: String) throws -> (generation: String, documents: Int, metric: String) {
            let s = try ServerProcess(["serve", "--manifests", try TestPlugins.standardSet(), "--db", db], healthPath: "/readyz")
            defer { s.stop() }
            let kb = try HTTP.get(s.url + "/readyz").json["knowledge_base"] as? [String: Any] ?? [:]
            let metrics = try HTTP.get(s.url + "/metrics").text
            let line = metrics.split(separator: "\n").first { $0.hasPrefix("tonehost_knowledge_base_generation ") } ?? ""
            return (kb["generation"] as? String ?? "?", kb["documents"] as? Int ?? -1, String(line.split(separator: " ").last ?? ""))
        }
        let a = try readyKB("\(base)/a.db"), b = try readyKB("\(base)/b.db")
        XCTAssertEqual(a.generation, b.generation, "same content, same generation (the folders differ)")
        XCTAssertEqual(a.documents, 1)
        XCTAssertEqual(Double(a.metric), Double(Int(a.generation, radix: 16) ?? -1), "the metric is the generation as a number")
        try "# 咖啡\n\n咖啡廳在一樓。".write(toFile: "\(base)/b/cafe.md", atomically: true, encoding: .utf8)
        XCTAssertEqual(try TestPlugins.run(tonehost, ["ingest", "--db", "\(base)/b.db", "\(base)/b/cafe.md"]).status, 0)
        let b2 = try readyKB("\(base)/b.db")
        XCTAssertNotEqual(b2.generation, a.generation, "a host with other content shows another generation")
        XCTAssertEqual(b2.documents, 2)
    }
}
