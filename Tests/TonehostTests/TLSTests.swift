import Foundation
import XCTest

/// Native TLS (`tls_certificate`, `tls_private_key`) with a self-signed certificate made by the
/// test: HTTPS answers, the plain-HTTP listener redirects to it, and SIGHUP swaps the
/// certificate without a restart. Uses the system's `openssl` and `curl` commands.
final class TLSTests: XCTestCase {
    let manifests = TestPlugins.repoRoot.appendingPathComponent("plugin-manifests").path

    /// A self-signed certificate for 127.0.0.1 with `name` as its common name: (cert, key) paths.
    func makeCertificate(_ dir: String, _ name: String) throws -> (String, String) {
        let cert = dir + "/\(name).crt", key = dir + "/\(name).key"
        let r = try TestPlugins.run("/usr/bin/openssl", ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
                                                         "-subj", "/CN=\(name)", "-addext", "subjectAltName=IP:127.0.0.1",
                                                         "-keyout", key, "-out", cert])
        XCTAssertEqual(r.status, 0, r.error)
        return (cert, key)
    }

    /// `curl -s` with `arguments`: (exit status, stdout).
    func curl(_ arguments: [String]) throws -> (Int32, String) {
        let r = try TestPlugins.run("/usr/bin/curl", ["-s", "--max-time", "10"] + arguments)
        return (r.status, r.output)
    }

    func testHTTPSRedirectAndCertificateReloadOnSIGHUP() async throws {
        let dir = NSTemporaryDirectory() + "tonehost-tls-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let (firstCert, firstKey) = try makeCertificate(dir, "first")
        let (secondCert, secondKey) = try makeCertificate(dir, "second")
        let cert = dir + "/live.crt", key = dir + "/live.key"
        try FileManager.default.copyItem(atPath: firstCert, toPath: cert)
        try FileManager.default.copyItem(atPath: firstKey, toPath: key)
        let redirectPort = ServerProcess.freePort()
        let db = dir + "/t.db"
        let s = try ServerProcess(["serve", "--manifests", manifests, "--db", db],
                                  environment: ["TONEHOST_TLS_CERTIFICATE": cert, "TONEHOST_TLS_PRIVATE_KEY": key,
                                                "TONEHOST_HTTP_REDIRECT_PORT": "\(redirectPort)"],
                                  ready: { port in
                                      (try? self.curl(["-f", "--cacert", firstCert, "https://127.0.0.1:\(port)/readyz"]))?.0 == 0
                                  })
        defer { s.stop() }
        let https = "https://127.0.0.1:\(s.port)"

        let (ok, health) = try curl(["--cacert", firstCert, https + "/health"])
        XCTAssertEqual(ok, 0)
        XCTAssertTrue(health.contains("\"status\":\"healthy\""), health)
        let (refused, _) = try curl(["--cacert", secondCert, https + "/health"])
        XCTAssertNotEqual(refused, 0, "the second certificate is not served yet")
        let (plain, _) = try curl(["http://127.0.0.1:\(s.port)/health"])
        XCTAssertNotEqual(plain, 0, "the TLS port speaks only TLS")

        let (_, redirect) = try curl(["-o", "/dev/null", "-w", "%{http_code} %{redirect_url}",
                                      "http://127.0.0.1:\(redirectPort)/api/rag-llm/sessions/a%20b/history?x=1"])
        XCTAssertEqual(redirect, "308 \(https)/api/rag-llm/sessions/a%20b/history?x=1")

        // New files, SIGHUP: new handshakes get the new certificate, no restart.
        try FileManager.default.removeItem(atPath: cert)
        try FileManager.default.removeItem(atPath: key)
        try FileManager.default.copyItem(atPath: secondCert, toPath: cert)
        try FileManager.default.copyItem(atPath: secondKey, toPath: key)
        s.signal(SIGHUP)
        let reloaded = await s.waitForLog("msg=\"TLS certificate reloaded\"")
        XCTAssertTrue(reloaded, s.log)
        let (now, _) = try curl(["--cacert", secondCert, https + "/health"])
        XCTAssertEqual(now, 0, "the reloaded certificate is served")
        let (old, _) = try curl(["--cacert", firstCert, https + "/health"])
        XCTAssertNotEqual(old, 0, "the first certificate is no longer served")

        // A broken file on reload keeps the running pair.
        try "not a key".write(toFile: key, atomically: true, encoding: .utf8)
        s.signal(SIGHUP)
        let failed = await s.waitForLog("TLS certificate reload failed")
        XCTAssertTrue(failed, s.log)
        XCTAssertTrue(s.log.contains(key), "the failure names the file")
        XCTAssertEqual(try curl(["--cacert", secondCert, https + "/health"]).0, 0)
    }

    func testMissingKeyFileRefusesToStart() throws {
        let dir = NSTemporaryDirectory() + "tonehost-tls-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let (cert, _) = try makeCertificate(dir, "only")
        let r = try TestPlugins.run(TestPlugins.productsDir + "/tonehost",
                                    ["serve", "--manifests", manifests, "--db", dir + "/t.db", "--host", "127.0.0.1",
                                     "--port", "\(ServerProcess.freePort())"],
                                    environment: ProcessInfo.processInfo.environment.merging(
                                        ["TONEHOST_TLS_CERTIFICATE": cert, "TONEHOST_TLS_PRIVATE_KEY": dir + "/missing.key"]) { $1 })
        XCTAssertEqual(r.status, 2)
        XCTAssertTrue((r.output + r.error).contains(dir + "/missing.key"), r.output + r.error)
    }
}
