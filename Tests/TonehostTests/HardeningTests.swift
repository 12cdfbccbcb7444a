import FakeBackends
import Foundation
import XCTest

/// The holes found by attacking the running host (issue 9), each kept closed through the public
/// surface: HTTP (raw bytes where a client library would normalise), the CLI, real files.
final class HardeningTests: XCTestCase {
    let manifests = TestPlugins.repoRoot.appendingPathComponent("plugin-manifests").path

    func freshDB() -> String { NSTemporaryDirectory() + "tonehost-hard-\(UUID().uuidString.prefix(8)).db" }

    func start(_ env: [String: String] = [:], db: String? = nil, manifests dir: String? = nil) throws -> ServerProcess {
        try ServerProcess(["serve", "--manifests", dir ?? manifests, "--db", db ?? freshDB()], environment: env)
    }

    /// Waits until the plugins are loaded (/readyz 200).
    func waitReady(_ s: ServerProcess) throws {
        let end = Date().addingTimeInterval(20)
        while try HTTP.get(s.url + "/readyz").status != 200, Date() < end { Thread.sleep(forTimeInterval: 0.1) }
    }

    func post(_ port: Int, _ path: String, _ json: String, headers: [String] = []) throws -> RawResponse? {
        let extra = headers.map { $0 + "\r\n" }.joined()
        let request = "POST \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nConnection: close\r\n\(extra)Content-Length: \(json.utf8.count)\r\n\r\n\(json)"
        return try RawConnection.exchange(port: port, request, timeout: 20)
    }

    func get(_ port: Int, _ path: String, method: String = "GET", headers: [String] = []) throws -> RawResponse? {
        let extra = headers.map { $0 + "\r\n" }.joined()
        return try RawConnection.exchange(port: port, "\(method) \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\(extra)\r\n", timeout: 20)
    }

    func query(_ s: ServerProcess, _ body: [String: Any], path: String = "/api/rag-llm/query") throws -> HTTP.Response {
        try HTTP.post(s.url + path, json: body)
    }

    // MARK: 1. Access control decided on the route, not on the raw path

    func testAPIKeyAndRateLimitHoldForEverySpellingOfThePath() throws {
        let s = try start(["TONEHOST_API_KEYS": "k-one", "TONEHOST_REQUIRE_API_KEY": "true"])
        defer { s.stop() }
        let question = #"{"text_user_msg":"What is ITRI?"}"#
        let variants = ["/api/rag-llm/query", "//api/rag-llm/query", "/api//rag-llm/query", "/api/rag-llm/query/",
                        "/./api/rag-llm/query", "/api/../api/rag-llm/query", "/api%2Frag-llm/query", "/api/rag-llm%2Fquery",
                        "/API/rag-llm/query", "/api/RAG-LLM/query", "///api///rag-llm///query///"]
        for path in variants {
            let r = try XCTUnwrap(try post(s.port, path, question), path)
            XCTAssertTrue([401, 404].contains(r.status), "\(path) without a key answered \(r.status): \(r.body.prefix(200))")
        }
        for path in ["//api/rag-llm/close", "//api/rag-llm/init", "//api/rag-llm/convert-tone"] {
            let r = try XCTUnwrap(try post(s.port, path, #"{"session_id":"v","text":"x"}"#), path)
            XCTAssertEqual(r.status, 401, "\(path): \(r.body)")
        }
        for method in ["GET", "DELETE"] {
            let r = try XCTUnwrap(try get(s.port, "//api/rag-llm/sessions/v/history", method: method))
            XCTAssertEqual(r.status, 401, "\(method) //…/history: \(r.body)")
        }
        // With the key, the spellings the router serves are served.
        let served = try XCTUnwrap(try post(s.port, "//api/rag-llm/query/", question, headers: ["Authorization: Bearer k-one"]))
        XCTAssertEqual(served.status, 200)
        XCTAssertTrue(served.body.contains("END_FLAG"))
        s.stop()

        // The per-IP limit counts every spelling too.
        let t = try start(["TONEHOST_RATE_LIMIT_PER_IP": "2"])
        defer { t.stop() }
        let statuses = try ["/api/rag-llm/query", "//api/rag-llm/query", "/api/rag-llm//query/"].map {
            try XCTUnwrap(try post(t.port, $0, question)).status
        }
        XCTAssertEqual(statuses, [200, 200, 429])
    }

    // MARK: 2. END_FLAG means done and stored

    func testHistoryIsStoredBeforeEndFlag() throws {
        let s = try start()
        defer { s.stop() }
        try waitReady(s)
        let url = s.url
        // Concurrent clients that act the moment they see the bytes END_FLAG (as byte-searching
        // clients do: they hang up and ask for the history at once).
        let lock = NSLock()
        var staleCount = 0
        DispatchQueue.concurrentPerform(iterations: 24) { i in
            for round in 0..<4 {
                var seen = Data()
                let body = try! JSONSerialization.data(withJSONObject: ["text_user_msg": "What is ITRI?", "session_id": "durable-\(i)"])
                _ = try? HTTP.send(url + "/api/rag-llm/query", method: "POST", body: body, timeout: 30) { chunk in
                    seen.append(chunk)
                    return !String(decoding: seen, as: UTF8.self).contains("END_FLAG")
                }
                XCTAssertTrue(String(decoding: seen, as: UTF8.self).contains("END_FLAG"))
                let h = try? HTTP.get(url + "/api/rag-llm/sessions/durable-\(i)/history")
                if (h?.json["message_count"] as? Int) != 2 * (round + 1) { lock.lock(); staleCount += 1; lock.unlock() }
            }
        }
        XCTAssertEqual(staleCount, 0, "history read right after END_FLAG was stale \(staleCount) times in 96")
    }

    // MARK: 3 + 9. A locked, slow or broken store costs history, not answers

    func testLockedStoreDelaysOnlyHistoryAndReadyzAnswersFast() async throws {
        let db = freshDB()
        let s = try start(["TONEHOST_HISTORY_TIMEOUT_MS": "1000"], db: db)
        defer { s.stop() }
        XCTAssertEqual(try query(s, ["text_user_msg": "What is ITRI?", "session_id": "warm"]).status, 200)
        // Another process holds the file's write lock for 8 s.
        let holder = Process()
        holder.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        holder.arguments = ["python3", "-c", "import sqlite3,sys,time\nc=sqlite3.connect(sys.argv[1],isolation_level=None)\nc.execute('BEGIN EXCLUSIVE')\nprint('locked',flush=True)\ntime.sleep(8)", db]
        let out = Pipe()
        holder.standardOutput = out
        try holder.run()
        defer { holder.terminate() }
        XCTAssertEqual(String(decoding: out.fileHandleForReading.availableData, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines), "locked")

        let started = Date()
        let url = s.url
        let results = try await withThrowingTaskGroup(of: (HTTP.Response, Double).self) { group in
            for i in 0..<20 {
                group.addTask {
                    let t0 = Date()
                    let r = try await HTTP.postAsync(url + "/api/rag-llm/query", json: ["text_user_msg": "What is ITRI?", "session_id": "locked-\(i)"])
                    return (r, Date().timeIntervalSince(t0))
                }
            }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        for (r, seconds) in results {
            XCTAssertEqual(r.status, 200)
            XCTAssertTrue(r.text.hasSuffix("END_FLAG\n"), r.text)
            XCTAssertFalse(r.text.contains("ERROR:"), "a history write that fails does not turn a good answer into an error: \(r.text)")
            XCTAssertLessThan(seconds, 4.5, "an answer waited \(seconds) s behind the locked store")
        }
        XCTAssertLessThan(Date().timeIntervalSince(started), 6)
        let t0 = Date()
        let ready = try await HTTP.getAsync(url + "/readyz", timeout: 5)
        XCTAssertLessThan(Date().timeIntervalSince(t0), 1.0, "/readyz must answer within 1 s")
        XCTAssertEqual(ready.status, 503)
        XCTAssertEqual(ready.json["status"] as? String, "store_unavailable", ready.text)
        let metrics = try await HTTP.getAsync(url + "/metrics")
        XCTAssertTrue(metrics.text.contains("tonehost_history_write_failures_total"), metrics.text)
        XCTAssertTrue(s.log.contains("could not store session history"))
    }

    func testCorruptSessionStoreStillAnswersAndReadyzSaysSo() throws {
        let db = freshDB()
        var s = try start(db: db)
        for i in 0..<30 { _ = try query(s, ["text_user_msg": "What is ITRI?", "session_id": "c\(i)"]) }
        s.stop()
        // Overwrite the session table's root page (after a checkpoint, so the main file has it).
        let corrupt = Process()
        corrupt.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        corrupt.arguments = ["python3", "-c", """
            import sqlite3,sys
            c=sqlite3.connect(sys.argv[1]); c.execute('PRAGMA wal_checkpoint(TRUNCATE)')
            page=c.execute('PRAGMA page_size').fetchone()[0]
            root=c.execute("SELECT rootpage FROM sqlite_master WHERE name='session_messages'").fetchone()[0]
            c.close()
            f=open(sys.argv[1],'r+b'); f.seek(page*(root-1)); f.write(b'\\xde\\xad\\xbe\\xef'*(page//4)); f.close()
            """, db]
        try corrupt.run()
        corrupt.waitUntilExit()
        XCTAssertEqual(corrupt.terminationStatus, 0)
        s = try start(db: db)
        defer { s.stop() }
        let r = try query(s, ["text_user_msg": "What is ITRI?", "session_id": "c1"])
        XCTAssertEqual(r.status, 200, r.text)
        XCTAssertTrue(r.text.contains("ITRI"), r.text)
        XCTAssertTrue(r.text.hasSuffix("END_FLAG\n"), r.text)
        XCTAssertEqual(r.headers["x-history"], "unavailable")
        XCTAssertTrue(s.log.contains("answering without session history"), s.log)
        let ready = try HTTP.get(s.url + "/readyz")
        XCTAssertEqual(ready.status, 503)
        XCTAssertEqual(ready.json["status"] as? String, "store_unavailable", ready.text)
        XCTAssertEqual(try HTTP.get(s.url + "/api/rag-llm/sessions/c1/history").status, 503)
    }

    func testUnusableDataDirectoryIsACriticalLineAndExit2() throws {
        let file = NSTemporaryDirectory() + "tonehost-notadir-\(UUID().uuidString.prefix(8))"
        try "x".write(toFile: file, atomically: true, encoding: .utf8)
        let db = file + "/data/tonehost.db"
        let r = try TestPlugins.run(TestPlugins.productsDir + "/tonehost",
                                    ["serve", "--manifests", manifests, "--db", db, "--host", "127.0.0.1", "--port", "\(ServerProcess.freePort())"])
        XCTAssertEqual(r.status, 2, r.output)
        let line = r.output.split(separator: "\n").first { $0.contains("level=critical") } ?? ""
        XCTAssertTrue(line.contains(file), "the critical line names the path: \(r.output)")
    }

    // MARK: 4. Only the host writes framing lines

    func testFramingTokensInClientTextCannotEndTheStreamEarly() throws {
        let s = try start()
        defer { s.stop() }
        let text = "Line one END_FLAG here.\nERROR: not a real error\nEND_FLAG\nThe last line."
        for tone in ["casual_friendly", "professional_friendly"] {
            let r = try HTTP.post(s.url + "/api/rag-llm/convert-tone", json: ["text": text, "tone": tone, "user_description": "a kid END_FLAG\nERROR: x"])
            assertFramedOnce(r.text)
        }
        let q = try HTTP.post(s.url + "/api/rag-llm/query-with-tone",
                              json: ["text_user_msg": "What is ITRI?", "user_description": "a child with END_FLAG on the shirt\nERROR: boom"])
        assertFramedOnce(q.text)
    }

    func testFramingTokensFromTheLLMCannotEndTheStreamEarly() async throws {
        var b = FakeChatServer.Behaviour()
        b.answerTokens = ["ITRI is ", "an institute.\n", "END", "_FLAG\n", "ERROR: injected\n", "More text END_FLAG more.", "\rERROR:x"]
        let fake = try await FakeChatServer(port: ServerProcess.freePort(), behaviour: b)
        defer { fake.stop() }
        let dir = try LLMBackendTests.manifestDirectory(llm: LLMBackendTests.ollamaManifest(fake.url))
        let s = try start(manifests: dir)
        defer { s.stop() }
        let r = try await HTTP.postAsync(s.url + "/api/rag-llm/query", json: ["text_user_msg": "What is ITRI?"])
        assertFramedOnce(r.text)
        XCTAssertTrue(r.text.contains("END FLAG"), "the token is neutralised, not dropped: \(r.text)")
    }

    func assertFramedOnce(_ body: String, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertTrue(body.hasSuffix("\nEND_FLAG\n"), body, file: file, line: line)
        XCTAssertEqual(body.components(separatedBy: "END_FLAG").count, 2, "END_FLAG only once, at the end: \(body)", file: file, line: line)
        let lines = body.split(omittingEmptySubsequences: false) { $0 == "\n" || $0 == "\r" }
        XCTAssertFalse(lines.contains { $0.hasPrefix("ERROR:") }, "no ERROR: line from text: \(body)", file: file, line: line)
    }

    // MARK: 5. Slow and idle clients are closed; normal ones served

    func testSlowClientsAreClosedAndNormalOnesServed() throws {
        let s = try start(["TONEHOST_HEADER_TIMEOUT_MS": "1000", "TONEHOST_BODY_TIMEOUT_MS": "1000", "TONEHOST_IDLE_TIMEOUT_MS": "1500"])
        defer { s.stop() }
        let partialHeaders = try RawConnection(port: s.port)
        partialHeaders.send("POST /api/rag-llm/query HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: appl")
        let partialBody = try RawConnection(port: s.port)
        partialBody.send("POST /api/rag-llm/query HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 200\r\n\r\n{\"text_user_msg\":")
        let idle = try RawConnection(port: s.port)
        idle.send("GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        let silent = try RawConnection(port: s.port)
        // A trickle: one header byte every 300 ms never completes the head within 1 s.
        let trickle = try RawConnection(port: s.port)
        let trickleDone = DispatchSemaphore(value: 0)
        DispatchQueue.global().async {
            for byte in "GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: aaaaaaaaaaaaaaaaaaaa\r\n\r\n".utf8 {
                trickle.send([byte])
                Thread.sleep(forTimeInterval: 0.3)
                if trickleDone.wait(timeout: .now()) == .success { break }
            }
        }
        defer { trickleDone.signal() }
        // A normal client is served meanwhile.
        XCTAssertEqual(try query(s, ["text_user_msg": "What is ITRI?"]).status, 200)
        let start = Date()
        XCTAssertTrue(partialHeaders.readAll(timeout: 5).closed, "partial headers stay open")
        XCTAssertTrue(partialBody.readAll(timeout: 5).closed, "a partial body stays open")
        let kept = idle.readAll(timeout: 5)
        XCTAssertTrue(String(decoding: kept.data, as: UTF8.self).hasPrefix("HTTP/1.1 200"), "the idle connection got its answer first")
        XCTAssertTrue(kept.closed, "an idle keep-alive connection stays open")
        XCTAssertTrue(silent.readAll(timeout: 5).closed, "a connection that never sends stays open")
        XCTAssertTrue(trickle.readAll(timeout: 5).closed, "a trickling client stays open")
        XCTAssertLessThan(Date().timeIntervalSince(start), 6)
        // A long answer stream is not cut by the read deadlines.
        XCTAssertEqual(try query(s, ["text_user_msg": "Tell me about ITRI's history and its research fields"]).status, 200)
        let metrics = try HTTP.get(s.url + "/metrics").text
        for reason in ["header_timeout", "body_timeout", "idle_timeout"] {
            XCTAssertTrue(metrics.contains("tonehost_connections_closed_total{reason=\"\(reason)\"}"), "\(reason): \(metrics)")
        }
    }

    // MARK: 6. Bounded inputs

    func testOversizedFieldsAreRefusedNamingTheField() throws {
        let s = try start(["TONEHOST_MAX_IMAGE_BYTES": "1000"])
        defer { s.stop() }
        func status(_ path: String, _ body: [String: Any]) throws -> (Int, String) {
            let r = try HTTP.post(s.url + path, json: body)
            return (r.status, r.json["error"] as? String ?? r.text)
        }
        let cases: [(String, [String: Any], String)] = [
            ("/api/rag-llm/query", ["text_user_msg": "What is ITRI?", "user_description": String(repeating: "長", count: 2001)], "user_description"),
            ("/api/rag-llm/query", ["text_user_msg": "What is ITRI?", "session_id": String(repeating: "s", count: 257)], "session_id"),
            ("/api/rag-llm/query-with-tone", ["text_user_msg": "What is ITRI?", "image": String(repeating: "A", count: 1001)], "image"),
            ("/api/rag-llm/query", ["text_user_msg": String(repeating: "q", count: 4001)], "text_user_msg"),
            ("/api/rag-llm/convert-tone", ["text": "Hello.", "user_msg": String(repeating: "u", count: 4001)], "user_msg"),
            ("/api/rag-llm/convert-tone", ["text": "Hello.", "user_description": String(repeating: "d", count: 2001)], "user_description"),
            ("/api/rag-llm/close", ["session_id": String(repeating: "會", count: 100)], "session_id"),
        ]
        for (path, body, field) in cases {
            let (code, message) = try status(path, body)
            XCTAssertEqual(code, 400, "\(path) \(field): \(message)")
            XCTAssertTrue(message.contains("'\(field)'"), "\(path): \(message)")
        }
        // Just inside the limits is fine.
        XCTAssertEqual(try status("/api/rag-llm/query", ["text_user_msg": "What is ITRI?", "user_description": String(repeating: "長", count: 2000),
                                                         "session_id": String(repeating: "s", count: 256)]).0, 200)
    }

    // MARK: 7. Session ids in URLs

    func testEverySessionIdABodyCanCreateIsReachableThroughTheURL() throws {
        let s = try start()
        defer { s.stop() }
        for id in ["kiosk 1", "a/b", "100%", "會話-一", "x?y#z", "+plus+"] {
            XCTAssertEqual(try query(s, ["text_user_msg": "What is ITRI?", "session_id": id]).status, 200)
            let encoded = id.addingPercentEncoding(withAllowedCharacters: .alphanumerics)!
            let h = try HTTP.get(s.url + "/api/rag-llm/sessions/\(encoded)/history")
            XCTAssertEqual(h.status, 200, "\(id): \(h.text)")
            XCTAssertEqual(h.json["session_id"] as? String, id)
            XCTAssertEqual(h.json["message_count"] as? Int, 2, "\(id): \(h.text)")
            let d = try HTTP.delete(s.url + "/api/rag-llm/sessions/\(encoded)/history")
            XCTAssertEqual(d.json["messages_cleared"] as? Int, 2, "\(id): \(d.text)")
            XCTAssertEqual(try query(s, ["text_user_msg": "What is ITRI?", "session_id": id]).status, 200)
            let c = try HTTP.post(s.url + "/api/rag-llm/close", json: ["session_id": id])
            XCTAssertEqual(c.json["session_existed"] as? Bool, true, "\(id): \(c.text)")
        }
        let bad = try HTTP.get(s.url + "/api/rag-llm/sessions/%E6%9C/history")
        XCTAssertEqual(bad.status, 400, bad.text)
    }

    // MARK: 8. Framing errors are 400; HEAD works

    func testMalformedTransferFramingIs400AndHeadIsServed() throws {
        let s = try start()
        defer { s.stop() }
        let head = "POST /api/rag-llm/query HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nConnection: close\r\n"
        let badChunk = try XCTUnwrap(try RawConnection.exchange(port: s.port, head + "Transfer-Encoding: chunked\r\n\r\nzz\r\n{}\r\n0\r\n\r\n"))
        XCTAssertEqual(badChunk.status, 400, badChunk.body)
        let unknown = try XCTUnwrap(try RawConnection.exchange(port: s.port, head + "Transfer-Encoding: gzip\r\n\r\n{}"))
        XCTAssertEqual(unknown.status, 400, unknown.body)
        try waitReady(s)
        for path in ["/health", "/livez", "/readyz", "/metrics", "/api/rag-llm/sessions/x/history"] {
            let c = try RawConnection(port: s.port)
            c.send("HEAD \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
            let text = String(decoding: c.readAll(timeout: 5).data, as: UTF8.self)
            XCTAssertTrue(text.hasPrefix("HTTP/1.1 200"), "HEAD \(path): \(text)")
            XCTAssertTrue(text.hasSuffix("\r\n\r\n"), "HEAD has no body: \(text)")
        }
        XCTAssertEqual(try HTTP.get(s.url + "/health").status, 200)
    }

    // MARK: 10. Plugin files anyone can change

    func testWorldWritableManifestsAndLibrariesAreRefused() throws {
        let tonehost = TestPlugins.productsDir + "/tonehost"
        let dir = TestPlugins.makeDirectory()
        for file in try FileManager.default.contentsOfDirectory(atPath: manifests) where file.hasSuffix(".toml") {
            try FileManager.default.copyItem(atPath: "\(manifests)/\(file)", toPath: "\(dir)/\(file)")
        }
        let db = freshDB()
        func check(_ env: [String: String] = [:]) throws -> (Int32, String) {
            var e = ProcessInfo.processInfo.environment
            e["TONEHOST_PLUGIN_PATH"] = TestPlugins.productsDir
            for (k, v) in env { e[k] = v }
            let r = try TestPlugins.run(tonehost, ["plugins", "check", "--manifests", dir, "--db", db], environment: e)
            return (r.status, r.output)
        }
        XCTAssertEqual(try check().0, 0)

        chmod("\(dir)/tone-casual.toml", 0o666)
        var (status, output) = try check()
        XCTAssertEqual(status, 1)
        XCTAssertTrue(output.contains("tone-casual.toml") && output.contains("world-writable") && output.contains("666"), output)
        chmod("\(dir)/tone-casual.toml", 0o644)

        // A library in a world-writable folder (no sticky bit), named by absolute path.
        let libs = NSTemporaryDirectory() + "tonehost-ww-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: libs, withIntermediateDirectories: true)
        chmod(libs, 0o777)
        try FileManager.default.copyItem(atPath: TestPlugins.productsDir + "/libtonehost-tone-casual.so", toPath: libs + "/libcasual.so")
        let casual = try String(contentsOfFile: "\(dir)/tone-casual.toml", encoding: .utf8)
        try casual.replacingOccurrences(of: "libtonehost-tone-casual.so", with: libs + "/libcasual.so")
            .write(toFile: "\(dir)/tone-casual.toml", atomically: true, encoding: .utf8)
        (status, output) = try check()
        XCTAssertEqual(status, 1)
        XCTAssertTrue(output.contains("library refused") && output.contains(libs) && output.contains("777"), output)
        // The explicit opt-outs: the manifest's, then the setting's.
        try (casual.replacingOccurrences(of: "libtonehost-tone-casual.so", with: libs + "/libcasual.so")
             .replacingOccurrences(of: "abi_version = 1", with: "abi_version = 1\nallow_insecure_permissions = true"))
            .write(toFile: "\(dir)/tone-casual.toml", atomically: true, encoding: .utf8)
        XCTAssertEqual(try check().0, 0)
        chmod("\(dir)/tone-casual.toml", 0o666)
        XCTAssertEqual(try check().0, 1, "a world-writable manifest cannot opt itself out")
        XCTAssertEqual(try check(["TONEHOST_STRICT_PERMISSIONS": "false"]).0, 0)
    }

    // MARK: 11. Cross-site requests and admin

    func testCrossSiteRequestsAreRefusedOnEveryMethod() throws {
        let s = try start(["TONEHOST_CORS_ORIGINS": "https://kiosk.example"])
        defer { s.stop() }
        XCTAssertEqual(try query(s, ["text_user_msg": "What is ITRI?", "session_id": "victim"]).status, 200)
        // A "simple" cross-site POST needs no preflight; it must not act.
        let body = #"{"session_id":"victim"}"#
        let attack = try XCTUnwrap(try RawConnection.exchange(port: s.port,
            "POST /api/rag-llm/close HTTP/1.1\r\nHost: 127.0.0.1:\(s.port)\r\nOrigin: https://evil.example\r\nContent-Type: text/plain\r\nConnection: close\r\nContent-Length: \(body.utf8.count)\r\n\r\n\(body)"))
        XCTAssertEqual(attack.status, 403, attack.body)
        for method in ["GET", "DELETE"] {
            let r = try XCTUnwrap(try get(s.port, "/api/rag-llm/sessions/victim/history", method: method, headers: ["Origin: https://evil.example"]))
            XCTAssertEqual(r.status, 403, "\(method): \(r.body)")
        }
        let history = try HTTP.get(s.url + "/api/rag-llm/sessions/victim/history")
        XCTAssertEqual(history.json["message_count"] as? Int, 2, "the victim's session is intact")
        // The allowed origin, and the host's own origin (a page it serves), still work.
        let allowed = try XCTUnwrap(try post(s.port, "/api/rag-llm/query", #"{"text_user_msg":"What is ITRI?"}"#, headers: ["Origin: https://kiosk.example"]))
        XCTAssertEqual(allowed.status, 200)
        let same = try XCTUnwrap(try RawConnection.exchange(port: s.port,
            "GET /health HTTP/1.1\r\nHost: 127.0.0.1:\(s.port)\r\nOrigin: http://127.0.0.1:\(s.port)\r\nConnection: close\r\n\r\n"))
        XCTAssertEqual(same.status, 200)
    }

    func testAdminAnswersLoopbackWithoutKeysAndNeedsAKeyWithThem() throws {
        // Without keys: loopback only (this test is on loopback, so it is served).
        let s = try start()
        try waitReady(s)
        XCTAssertEqual(try HTTP.send(s.url + "/admin/reload", method: "POST", body: nil, timeout: 30).status, 200)
        XCTAssertEqual(try XCTUnwrap(try post(s.port, "//admin/reload", "")).status, 200)
        s.stop()
        let t = try start(["TONEHOST_API_KEYS": "adm"])
        defer { t.stop() }
        try waitReady(t)
        XCTAssertEqual(try XCTUnwrap(try post(t.port, "//admin/reload/", "")).status, 401)
        XCTAssertEqual(try XCTUnwrap(try post(t.port, "/admin/reload", "", headers: ["Authorization: Bearer adm"])).status, 200)
    }

    // MARK: 12. Smaller ones

    func testKnowledgeBaseErrorsDoNotShowTheClientTheDatabasePath() throws {
        let db = freshDB()
        let s = try start(db: db)
        defer { s.stop() }
        XCTAssertEqual(try query(s, ["text_user_msg": "What is ITRI?"]).status, 200)
        // The store is destroyed under the running host.
        let handle = try XCTUnwrap(FileHandle(forWritingAtPath: db))
        try handle.write(contentsOf: Data(repeating: 0x5A, count: 200_000))
        try handle.close()
        try? FileManager.default.removeItem(atPath: db + "-wal")
        let r = try query(s, ["text_user_msg": "What is ITRI?", "session_id": "after"])
        XCTAssertEqual(r.status, 200)
        XCTAssertTrue(r.text.hasSuffix("END_FLAG\n"), r.text)
        XCTAssertFalse(r.text.contains(db), "the stream shows the database path: \(r.text)")
        XCTAssertFalse(r.text.contains(NSTemporaryDirectory()), r.text)
        let initialised = try HTTP.post(s.url + "/api/rag-llm/init", json: [:] as [String: Any])
        XCTAssertFalse(initialised.text.contains(db), initialised.text)
        XCTAssertTrue(s.log.contains(db), "the log keeps the path for the operator")
    }

    func testMidStreamDisconnectIsReportedAsSuchAndTruncatedAnswersGetNoClosing() async throws {
        var b = FakeChatServer.Behaviour()
        b.answerTokens = ["ITRI is ", "Taiwan's ", "applied ", "research ", "institute. ", "It was founded ", "in 1973."]
        b.disconnectAfterTokens = 3
        let fake = try await FakeChatServer(port: ServerProcess.freePort(), behaviour: b)
        defer { fake.stop() }
        let dir = try LLMBackendTests.manifestDirectory(llm: LLMBackendTests.ollamaManifest(fake.url))
        let s = try start(manifests: dir)
        defer { s.stop() }
        let r = try await HTTP.postAsync(s.url + "/api/rag-llm/query-with-tone",
                                         json: ["text_user_msg": "What is ITRI?", "user_description": "a little boy with a balloon"])
        let lines = r.text.components(separatedBy: "\n")
        let errorLine = try XCTUnwrap(lines.first { $0.hasPrefix("ERROR: ") }, r.text)
        XCTAssertTrue(errorLine.contains("closed mid-answer"), errorLine)
        XCTAssertFalse(errorLine.contains("unreachable"), errorLine)
        let answer = r.text.components(separatedBy: "\nERROR: ").first ?? ""
        XCTAssertTrue(answer.contains("applied"), "what came before the failure is kept: \(r.text)")
        for closing in ["Do you want to know more?", "What else would you like to know?", "Do you have another question for me?"] {
            XCTAssertFalse(answer.contains(closing), "a truncated answer ends without the tone's closing: \(r.text)")
        }
    }
}
