import CSQLite
import Foundation
import XCTest

/// `tonehost backup` takes a consistent copy while the server writes; `tonehost restore`
/// checks the backup, refuses under a running server, and keeps the replaced store.
final class BackupTests: XCTestCase {
    func sqlite(_ path: String, _ sql: String) throws -> [String] {
        var db: OpaquePointer?
        guard sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, nil) == SQLITE_OK else { throw Problem("cannot open \(path)") }
        defer { sqlite3_close_v2(db) }
        var stmt: OpaquePointer?
        guard sqlite3_prepare_v2(db, sql, -1, &stmt, nil) == SQLITE_OK else { throw Problem(String(cString: sqlite3_errmsg(db))) }
        defer { sqlite3_finalize(stmt) }
        var rows: [String] = []
        while sqlite3_step(stmt) == SQLITE_ROW { rows.append(String(cString: sqlite3_column_text(stmt, 0))) }
        return rows
    }

    struct Problem: Error { let message: String; init(_ m: String) { message = m } }

    /// Sessions whose history the server has stored, written by threads until stopped.
    final class WriteLoad: @unchecked Sendable {
        private let lock = NSLock()
        private var stored: [String] = []
        private var running = true
        private var failures: [String] = []
        let threads: [Thread]

        init(_ server: ServerProcess, writers: Int) {
            var threads: [Thread] = []
            let box = Box()
            for w in 0..<writers {
                threads.append(Thread { box.load?.write(server, writer: w) })
            }
            self.threads = threads
            box.load = self
            threads.forEach { $0.start() }
        }
        final class Box: @unchecked Sendable { weak var load: WriteLoad? }

        func write(_ server: ServerProcess, writer: Int) {
            var i = 0
            while isRunning {
                let session = "w\(writer)-\(i)"
                i += 1
                guard let r = try? HTTP.post(server.url + "/api/rag-llm/query", json: ["text_user_msg": "q \(session)", "session_id": session]),
                      r.status == 200, r.text.hasSuffix("END_FLAG\n") else {
                    if isRunning { lock.lock(); failures.append(session); lock.unlock() }
                    continue
                }
                // History is stored just after END_FLAG: confirm it before counting the session.
                for _ in 0..<50 {
                    if let h = try? HTTP.get(server.url + "/api/rag-llm/sessions/\(session)/history"), (h.json["message_count"] as? Int) == 2 {
                        lock.lock(); stored.append(session); lock.unlock()
                        break
                    }
                    Thread.sleep(forTimeInterval: 0.01)
                }
            }
        }
        var isRunning: Bool { lock.lock(); defer { lock.unlock() }; return running }
        var storedSessions: [String] { lock.lock(); defer { lock.unlock() }; return stored }
        var failed: [String] { lock.lock(); defer { lock.unlock() }; return failures }
        func stop() { lock.lock(); running = false; lock.unlock() }
    }

    func testBackupDuringWritesIsConsistentAndRestoreRollsBack() throws {
        let dir = try TestPlugins.standardSet()
        let db = NSTemporaryDirectory() + "tonehost-backup-\(UUID().uuidString.prefix(8)).db"
        let server = try ServerProcess(["serve", "--manifests", dir, "--db", db], healthPath: "/readyz")
        defer { server.stop() }
        let tonehost = TestPlugins.productsDir + "/tonehost"

        let load = WriteLoad(server, writers: 4)
        Thread.sleep(forTimeInterval: 1.0)
        let before = Set(load.storedSessions)
        XCTAssertGreaterThan(before.count, 10)
        let backup = NSTemporaryDirectory() + "tonehost-backup-\(UUID().uuidString.prefix(8)).copy.db"
        let result = try TestPlugins.run(tonehost, ["backup", "--db", db, backup])
        Thread.sleep(forTimeInterval: 0.3)  // writes go on after the backup
        load.stop()
        Thread.sleep(forTimeInterval: 0.3)
        XCTAssertEqual(result.status, 0, result.output)
        XCTAssertTrue(result.output.contains("integrity ok"), result.output)
        XCTAssertEqual(load.failed, [], "requests failed during the backup")

        XCTAssertEqual(try sqlite(backup, "PRAGMA integrity_check"), ["ok"])
        let copied = Set(try sqlite(backup, "SELECT session_id FROM session_messages GROUP BY session_id HAVING count(*) = 2"))
        XCTAssertTrue(before.isSubset(of: copied), "missing from the backup: \(before.subtracting(copied).sorted().prefix(10))")
        let all = Set(try sqlite(backup, "SELECT DISTINCT session_id FROM session_messages"))
        XCTAssertEqual(all, copied, "a session with half its turns: the copy is not one snapshot")

        // Restore refuses while the server holds the store…
        let refused = try TestPlugins.run(tonehost, ["restore", "--db", db, backup])
        XCTAssertEqual(refused.status, 1, refused.output)
        XCTAssertTrue(refused.output.contains("stop it first"), refused.output)
        // …and refuses a damaged backup whatever the server does.
        let damaged = NSTemporaryDirectory() + "tonehost-damaged-\(UUID().uuidString.prefix(8)).db"
        var bytes = try Data(contentsOf: URL(fileURLWithPath: backup))
        for i in stride(from: 4096, to: min(bytes.count, 4096 * 3), by: 7) { bytes[i] = 0xFF }
        try bytes.write(to: URL(fileURLWithPath: damaged))
        let bad = try TestPlugins.run(tonehost, ["restore", "--db", db, damaged, "--force"])
        XCTAssertNotEqual(bad.status, 0, bad.output)

        // Stopped server: restore rolls the store back to the backup and keeps the replaced one.
        server.signal(SIGTERM)
        server.process.waitUntilExit()
        let restored = try TestPlugins.run(tonehost, ["restore", "--db", db, backup])
        XCTAssertEqual(restored.status, 0, restored.output)
        XCTAssertEqual(Set(try sqlite(db, "SELECT DISTINCT session_id FROM session_messages")), all)
        let kept = try FileManager.default.contentsOfDirectory(atPath: (db as NSString).deletingLastPathComponent)
            .filter { $0.hasPrefix((db as NSString).lastPathComponent + ".pre-restore-") }
        XCTAssertEqual(kept.count, 1, restored.output)
    }
}
