import Foundation
import XCTest

/// The settings table through the command line: every kind of bad value is refused naming the
/// key, the source and the expected type; masking follows the table; every flag of `serve` sets
/// its setting; the README's configuration table is the table.
final class SettingsTableTests: XCTestCase {
    let tonehost = TestPlugins.productsDir + "/tonehost"

    /// The process environment without any TONEHOST_* (or alias) variable, plus `extra`.
    func environment(_ extra: [String: String] = [:]) -> [String: String] {
        var env = ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("TONEHOST_") && $0.key != "LLM_MODEL_NAME" }
        env.merge(extra) { $1 }
        return env
    }

    func configFile(_ text: String) throws -> String {
        let file = NSTemporaryDirectory() + "tonehost-settings-\(UUID().uuidString.prefix(8)).toml"
        try text.write(toFile: file, atomically: true, encoding: .utf8)
        return file
    }

    func testABadValueOfEveryKindNamesKeySourceAndType() throws {
        let file = try configFile("request_timeout_ms = \"soon\"\n")
        let cases: [(args: [String], env: [String: String], expected: String)] = [
            (["--port", "abc"], [:], "port (flag) must be a non-negative integer, found \"abc\""),
            ([], ["TONEHOST_PORT": "70000"], "port (env TONEHOST_PORT) must be at most 65535, found 70000"),
            (["--config", file], [:], "request_timeout_ms (file \(file)) must be a non-negative integer, found \"soon\""),
            ([], ["TONEHOST_SHUTDOWN_GRACE_SECONDS": "-1"], "shutdown_grace_seconds (env TONEHOST_SHUTDOWN_GRACE_SECONDS) must be a non-negative integer, found \"-1\""),
            ([], ["TONEHOST_REQUIRE_API_KEY": "maybe"], "require_api_key (env TONEHOST_REQUIRE_API_KEY) must be true or false, found \"maybe\""),
            (["--log-level", "loud"], [:], "log_level (flag) must be one of trace, debug, info, notice, warning, error, critical; found \"loud\""),
            (["--log-keep", "5x"], [:], "log_keep (flag) must be a non-negative integer, found \"5x\""),
        ]
        for c in cases {
            let out = try TestPlugins.run(tonehost, ["config", "print"] + c.args, environment: environment(c.env))
            XCTAssertEqual(out.status, 2, "\(c.args) \(c.env): \(out.output)")
            XCTAssertTrue(out.output.contains("tonehost: " + c.expected), "\(c.args) \(c.env): \(out.output)")
        }
    }

    func testServeRefusesABadValueBeforeStarting() throws {
        let db = NSTemporaryDirectory() + "tonehost-settings-\(UUID().uuidString.prefix(8)).db"
        for (args, env, expected) in [
            (["--max-body-bytes", "lots"], [String: String](), "max_body_bytes (flag) must be a non-negative integer, found \"lots\""),
            ([], ["TONEHOST_STRICT_PERMISSIONS": "sometimes"], "strict_permissions (env TONEHOST_STRICT_PERMISSIONS) must be true or false, found \"sometimes\""),
        ] {
            let out = try TestPlugins.run(tonehost, ["serve", "--db", db, "--host", "127.0.0.1", "--port", "\(ServerProcess.freePort())"] + args,
                                          environment: environment(env))
            XCTAssertEqual(out.status, 2, out.output)
            XCTAssertTrue(out.output.contains("tonehost: " + expected), out.output)
        }
    }

    func testMaskingFollowsTheTable() throws {
        let out = try TestPlugins.run(tonehost, ["config", "print"],
                                      environment: environment(["TONEHOST_API_KEYS": "k-one,k-two", "TONEHOST_REQUIRE_API_KEY": "true"]))
        XCTAssertEqual(out.status, 0, out.output)
        XCTAssertTrue(out.output.contains("api_keys = \"***\"  # env TONEHOST_API_KEYS"), out.output)
        XCTAssertFalse(out.output.contains("k-one"), out.output)
        XCTAssertTrue(out.output.contains("require_api_key = true  # env TONEHOST_REQUIRE_API_KEY"), out.output)
    }

    /// Today's flags of `serve`, each with a value it accepts; `config print` takes the same flags.
    static let flags: [(flag: String, key: String, value: String?)] = [
        ("--manifests", "manifests", "/tmp/m"), ("--db", "db", "/tmp/t.db"), ("--log-level", "log_level", "notice"),
        ("--log-file", "log_file", "/tmp/t.log"), ("--log-max-bytes", "log_max_bytes", "1000"), ("--log-keep", "log_keep", "2"),
        ("--shutdown-grace-seconds", "shutdown_grace_seconds", "7"), ("--drain-delay-seconds", "drain_delay_seconds", "3"),
        ("--request-timeout-ms", "request_timeout_ms", "1234"), ("--describer-timeout-ms", "describer_timeout_ms", "2345"),
        ("--generation-timeout-ms", "generation_timeout_ms", "3456"), ("--host", "host", "10.1.2.3"), ("--port", "port", "6123"),
        ("--user-description-server", "user_description_server", "http://d:5003"), ("--auto-init", "auto_init", nil),
        ("--max-body-bytes", "max_body_bytes", "4096"), ("--max-message-length", "max_message_length", "99"),
        ("--history-messages", "history_messages", "4"),
    ]

    func testEveryFlagOfServeSetsItsSetting() throws {
        let help = try TestPlugins.run(tonehost, ["serve", "--help"], environment: environment())
        let listed = Set(help.output.split(whereSeparator: { $0 == " " || $0 == "\n" || $0 == "," })
            .map(String.init).filter { $0.range(of: "^--[a-z-]+$", options: .regularExpression) != nil })
        XCTAssertEqual(listed, Set(Self.flags.map(\.flag) + ["--config", "--debug", "--help"]), help.output)

        let args = Self.flags.flatMap { [$0.flag] + ($0.value.map { [$0] } ?? []) }
        let out = try TestPlugins.run(tonehost, ["config", "print"] + args, environment: environment())
        XCTAssertEqual(out.status, 0, out.output)
        for f in Self.flags {
            let shown = f.value.map { Int($0) != nil ? $0 : "\"\($0)\"" } ?? "true"
            XCTAssertTrue(out.output.contains("\(f.key) = \(shown)  # flag"), "\(f.flag): \(out.output)")
        }
        let debug = try TestPlugins.run(tonehost, ["config", "print", "--log-level", "error", "--debug"], environment: environment())
        XCTAssertTrue(debug.output.contains("log_level = \"debug\"  # flag"), debug.output)
    }

    func testREADMEConfigurationTableIsTheSettingsTable() throws {
        let table = try TestPlugins.run(tonehost, ["config", "table"], environment: environment())
        XCTAssertEqual(table.status, 0, table.output)
        let readme = try String(contentsOf: TestPlugins.repoRoot.appendingPathComponent("README.md"), encoding: .utf8)
        let begin = "<!-- settings table: `tonehost config table` -->\n", end = "\n<!-- end of settings table -->"
        let block = try XCTUnwrap(readme.components(separatedBy: begin).dropFirst().first?.components(separatedBy: end).first,
                                  "README lacks the settings table markers")
        XCTAssertEqual(block, table.output.trimmingCharacters(in: .newlines),
                       "README's configuration table is out of date: paste `tonehost config table` between the markers")
        XCTAssertTrue(block.contains("| `api_keys` | — | comma-separated list | — | yes | **secret**"), block)
    }
}
