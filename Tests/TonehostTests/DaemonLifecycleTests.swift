import Foundation
import XCTest

/// SIGTERM drains (in-flight streams finish, new connections are refused, exit 0) and the
/// probes: /livez always, /readyz only between "plugins loaded" and "draining".
final class DaemonLifecycleTests: XCTestCase {
    func testSigtermLetsInFlightStreamsFinishRefusesNewConnectionsAndExitsZero() async throws {
        let dir = try TestPlugins.standardSet(llm: ["delay_ms": 50, "text": words(30)])
        let db = NSTemporaryDirectory() + "tonehost-drain-\(UUID().uuidString.prefix(8)).db"
        let server = try ServerProcess(["serve", "--manifests", dir, "--db", db], healthPath: "/readyz")
        defer { server.stop() }
        async let streams: [HTTP.Response] = withThrowingTaskGroup(of: HTTP.Response.self) { group in
            for i in 0..<8 { group.addTask { try await streamingQuery(server, session: "drain-\(i)") } }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        try await Task.sleep(for: .milliseconds(400))  // every stream has started (1.5 s each)
        server.signal(SIGTERM)
        try await Task.sleep(for: .milliseconds(200))
        do {
            let r = try await HTTP.getAsync(server.url + "/livez", timeout: 2)
            XCTFail("a new connection was accepted while draining: \(r.status)")
        } catch {}  // refused
        let responses = try await streams
        XCTAssertEqual(responses.filter(completed).count, 8, responses.map(\.text).joined(separator: "\n---\n"))
        let status = await server.waitForExit()
        XCTAssertEqual(status, 0, server.log)
        XCTAssertTrue(server.log.contains("msg=stopped"), server.log)
    }

    func testReadyzFailsWhilePluginsLoadAndWhileDraining() async throws {
        // A describer whose create takes 2 s, as a model loading its weights would.
        let source = NSTemporaryDirectory() + "slow_create_\(UUID().uuidString.prefix(8)).c"
        try """
        #include <string.h>
        #include <unistd.h>
        #include "tonehost_plugin.h"
        TONEHOST_PLUGIN_DEFINE_ABI_VERSION;
        static void *create(const tonehost_host_api *h, const char *c, char *e, size_t n) { (void)h; (void)c; (void)e; (void)n; sleep(2); return (void *)1; }
        static void destroy(void *i) { (void)i; }
        static tonehost_status describe(void *i, const tonehost_describe_request *r, tonehost_call *call, const tonehost_call_api *api) {
            (void)i; (void)r; const char *t = "an elderly man with a walking stick"; api->emit(call, t, strlen(t)); return TONEHOST_OK; }
        static const tonehost_plugin plugin = { .abi_version = TONEHOST_ABI_VERSION, .struct_size = sizeof(tonehost_plugin),
            .id = "test.slow", .version = "1", .description = "slow create", .kind = TONEHOST_KIND_DESCRIBER,
            .create = create, .destroy = destroy, .describe = describe };
        TONEHOST_PLUGIN_EXPORT const tonehost_plugin *tonehost_plugin_entry(void) { return &plugin; }
        """.write(toFile: source, atomically: true, encoding: .utf8)
        let library = source.replacingOccurrences(of: ".c", with: ".so")
        let cc = try TestPlugins.run("/usr/bin/env", ["cc", "-shared", "-fPIC", "-I", TestPlugins.abiInclude, "-o", library, source])
        XCTAssertEqual(cc.status, 0, cc.output)
        let dir = try TestPlugins.standardSet()
        try TestPlugins.write(.init(file: "describer.toml", name: "slow", kind: "describer", library: library), to: dir)
        let db = NSTemporaryDirectory() + "tonehost-ready-\(UUID().uuidString.prefix(8)).db"

        let server = try ServerProcess(["serve", "--manifests", dir, "--db", db, "--drain-delay-seconds", "2"], healthPath: "/livez")
        defer { server.stop() }
        let starting = try await HTTP.getAsync(server.url + "/readyz")
        XCTAssertEqual(starting.status, 503)
        XCTAssertEqual(starting.json["status"] as? String, "starting")
        // A question sent during start-up waits for the plugins instead of failing.
        let early = try await streamingQuery(server, session: "early")
        XCTAssertTrue(completed(early), early.text)
        let ready = try await HTTP.getAsync(server.url + "/readyz")
        XCTAssertEqual(ready.status, 200, ready.text)

        server.signal(SIGTERM)
        try await Task.sleep(for: .milliseconds(300))
        let draining = try await HTTP.getAsync(server.url + "/readyz")  // still accepting during the drain delay
        XCTAssertEqual(draining.status, 503)
        XCTAssertEqual(draining.json["status"] as? String, "draining")
        let alive = try await HTTP.getAsync(server.url + "/livez")
        XCTAssertEqual(alive.status, 200)
        let status = await server.waitForExit()
        XCTAssertEqual(status, 0, server.log)
    }

    func testStartupFailureExitsTwoWithTheReason() async throws {
        let dir = TestPlugins.makeDirectory()  // no llm, no retriever
        let db = NSTemporaryDirectory() + "tonehost-fail-\(UUID().uuidString.prefix(8)).db"
        let result = try TestPlugins.run(TestPlugins.productsDir + "/tonehost",
                                         ["serve", "--manifests", dir, "--db", db, "--host", "127.0.0.1", "--port", "\(ServerProcess.freePort())"])
        XCTAssertEqual(result.status, 2, result.output)
        XCTAssertTrue(result.output.contains("level=critical"), result.output)
        XCTAssertTrue(result.output.contains("no llm plugin loaded"), result.output)
    }

    func testEveryNumericSettingIsValidated() throws {
        for key in ["RATE_LIMIT_PER_IP", "RATE_LIMIT_PER_SESSION", "DESCRIPTION_CACHE_SECONDS", "HEADER_TIMEOUT_MS", "MAX_CONNECTIONS"] {
            var env = ProcessInfo.processInfo.environment
            env["TONEHOST_" + key] = "abc"
            let out = try TestPlugins.run(TestPlugins.productsDir + "/tonehost", ["config", "print"], environment: env)
            XCTAssertEqual(out.status, 2, "\(key): \(out.output)")
            XCTAssertTrue(out.output.contains("\(key.lowercased()) (env TONEHOST_\(key)) must be a non-negative integer, found \"abc\""), out.output)
        }
    }

    func testConfigPrecedenceAndMaskedPrint() throws {
        let file = NSTemporaryDirectory() + "tonehost-\(UUID().uuidString.prefix(8)).toml"
        try "port = 6000\nhost = \"10.0.0.1\"\napi_keys = [\"file-secret-1\"]\nlog_level = \"warning\"\n".write(toFile: file, atomically: true, encoding: .utf8)
        var env = ProcessInfo.processInfo.environment
        env["TONEHOST_PORT"] = "7000"
        env["LLM_MODEL_NAME"] = "llama3.2:3b"
        let out = try TestPlugins.run(TestPlugins.productsDir + "/tonehost", ["config", "print", "--config", file], environment: env)
        XCTAssertEqual(out.status, 0, out.output)
        XCTAssertTrue(out.output.contains("port = 7000  # env TONEHOST_PORT"), out.output)
        XCTAssertTrue(out.output.contains("host = \"10.0.0.1\"  # file \(file)"), out.output)
        XCTAssertTrue(out.output.contains("llm_model_name = \"llama3.2:3b\"  # env LLM_MODEL_NAME"), out.output)
        XCTAssertTrue(out.output.contains("api_keys = \"***\""), out.output)
        XCTAssertTrue(out.output.contains("require_api_key = false  # default"), "a switch is shown, not masked: \(out.output)")
        XCTAssertFalse(out.output.contains("file-secret-1"))
        XCTAssertTrue(out.output.contains("shutdown_grace_seconds = 30  # default"), out.output)

        try "prot = 1\n".write(toFile: file, atomically: true, encoding: .utf8)
        let bad = try TestPlugins.run(TestPlugins.productsDir + "/tonehost", ["config", "print", "--config", file])
        XCTAssertEqual(bad.status, 2)
        XCTAssertTrue(bad.output.contains("unknown key 'prot'"), bad.output)
    }
}
