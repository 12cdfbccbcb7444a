import Foundation
import XCTest

/// A PostgreSQL cluster of the test's own: `initdb` in a temporary folder, `postgres` on a
/// free loopback port, password authentication over TCP. Stopped by the postmaster's PID.
/// When the tests run as root (CI containers) the cluster runs as `nobody` (PostgreSQL refuses
/// root). Skips the test when PostgreSQL is not installed (`scripts/setup.sh` installs it).
final class LocalPostgres {
    static let user = "tonehost"
    static let password = "s3cret-pg-password"

    let dir: String
    let port: Int
    private let bin: String
    private var postmasterPID: pid_t = 0

    static var binDirectory: String? {
        let base = "/usr/lib/postgresql"
        let versions = ((try? FileManager.default.contentsOfDirectory(atPath: base)) ?? []).sorted { (Int($0) ?? 0) > (Int($1) ?? 0) }
        return versions.map { "\(base)/\($0)/bin" }.first { FileManager.default.isExecutableFile(atPath: "\($0)/initdb") }
    }

    init() throws {
        guard let bin = Self.binDirectory else { throw XCTSkip("PostgreSQL is not installed (scripts/setup.sh installs it)") }
        self.bin = bin
        dir = NSTemporaryDirectory() + "tonehost-pg-\(UUID().uuidString.prefix(8))"
        port = ServerProcess.freePort()
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        try Self.password.write(toFile: dir + "/pwfile", atomically: true, encoding: .utf8)
        if getuid() == 0 { _ = try Self.run("/bin/chown", ["-R", "nobody", dir]) }
        try runAsOwner(bin + "/initdb", ["-D", dir + "/data", "-U", Self.user, "--pwfile", dir + "/pwfile", "-E", "UTF8",
                                         "--locale", "C", "--auth-local", "trust", "--auth-host", "scram-sha-256", "--no-sync"])
        try start()
    }

    var url: String { "postgres://\(Self.user)@127.0.0.1:\(port)/postgres?sslmode=disable" }

    func url(database: String) -> String { "postgres://\(Self.user)@127.0.0.1:\(port)/\(database)?sslmode=disable" }

    /// Starts the server and waits until it accepts connections.
    func start() throws {
        let logFile = dir + "/postgres.log"
        // The server outlives pg_ctl and keeps its inherited stdout: no pipe here, or reading it never ends.
        try runAsOwner(bin + "/pg_ctl", ["-D", dir + "/data", "-l", logFile, "-w", "-t", "30", "start", "-o",
                                         "-p \(port) -k \(dir) -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200"],
                       capture: false)
        let pidLine = try String(contentsOfFile: dir + "/data/postmaster.pid", encoding: .utf8).split(separator: "\n").first ?? ""
        guard let pid = pid_t(pidLine) else { throw NSError(domain: "LocalPostgres", code: 1, userInfo: [NSLocalizedDescriptionKey: "no postmaster.pid"]) }
        postmasterPID = pid
    }

    /// Stops the server by its PID (SIGINT: fast shutdown, clients are disconnected) and waits.
    func stop() {
        guard postmasterPID > 0 else { return }
        kill(postmasterPID, SIGINT)
        let end = Date().addingTimeInterval(30)
        while kill(postmasterPID, 0) == 0, Date() < end { Thread.sleep(forTimeInterval: 0.05) }
        postmasterPID = 0
    }

    /// Runs SQL through psql over the local socket; returns its output (unaligned, tuples only).
    @discardableResult
    func sql(_ statement: String, database: String = "postgres") throws -> String {
        try Self.run(bin + "/psql", ["-h", dir, "-p", "\(port)", "-U", Self.user, "-d", database, "-At", "-v", "ON_ERROR_STOP=1", "-c", statement])
    }

    func createDatabase(_ name: String) throws { try sql("CREATE DATABASE \(name)") }

    deinit {
        stop()
        try? FileManager.default.removeItem(atPath: dir)
    }

    private func runAsOwner(_ executable: String, _ arguments: [String], capture: Bool = true) throws {
        if getuid() == 0 {
            _ = try Self.run("/usr/sbin/runuser", ["-u", "nobody", "--", executable] + arguments, capture: capture)
        } else {
            _ = try Self.run(executable, arguments, capture: capture)
        }
    }

    @discardableResult
    static func run(_ executable: String, _ arguments: [String], capture: Bool = true) throws -> String {
        // A command that leaves a daemon behind (pg_ctl start, nginx) is spawned and reaped
        // here: Foundation's Process notices an exit through a descriptor the daemon inherits,
        // so it would wait for the daemon instead.
        guard capture else {
            let status = spawnAndWait(executable, arguments)
            guard status == 0 else {
                throw NSError(domain: "LocalServices", code: Int(status),
                              userInfo: [NSLocalizedDescriptionKey: "\(executable) \(arguments.joined(separator: " ")) exited with \(status)"])
            }
            return ""
        }
        let p = Process()
        p.executableURL = URL(fileURLWithPath: executable)
        p.arguments = arguments
        p.currentDirectoryURL = URL(fileURLWithPath: "/tmp")
        let out = Pipe()
        p.standardOutput = out
        p.standardError = out
        try p.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        let text = String(decoding: data, as: UTF8.self)
        guard p.terminationStatus == 0 else {
            throw NSError(domain: "LocalServices", code: Int(p.terminationStatus),
                          userInfo: [NSLocalizedDescriptionKey: "\(executable) \(arguments.joined(separator: " ")) failed: \(text)"])
        }
        return text.trimmingCharacters(in: .whitespacesAndNewlines)
    }
}

/// posix_spawn with stdin/stdout/stderr on /dev/null; waits for the child itself. Returns its exit status.
private func spawnAndWait(_ executable: String, _ arguments: [String]) -> Int32 {
    var actions = posix_spawn_file_actions_t()
    posix_spawn_file_actions_init(&actions)
    defer { posix_spawn_file_actions_destroy(&actions) }
    for fd in [0, 1, 2] as [Int32] { posix_spawn_file_actions_addopen(&actions, fd, "/dev/null", fd == 0 ? O_RDONLY : O_WRONLY, 0) }
    let argv: [UnsafeMutablePointer<CChar>?] = ([executable] + arguments).map { strdup($0) } + [nil]
    defer { for a in argv { free(a) } }
    var pid: pid_t = 0
    guard posix_spawn(&pid, executable, &actions, nil, argv, environ) == 0 else { return -1 }
    var status: Int32 = 0
    while waitpid(pid, &status, 0) == -1, errno == EINTR {}
    return (status & 0x7f) == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f)
}

/// An nginx of the test's own on a free loopback port, round-robin over `upstreams`, with the
/// repository's `deploy/nginx/tonehost-proxy.conf` (the proxy settings operators deploy).
/// Stopped by the master's PID. Skips the test when nginx is not installed.
final class LocalNginx {
    let dir: String
    let port: Int
    private var masterPID: pid_t = 0

    static var executable: String? {
        ["/usr/sbin/nginx", "/usr/local/sbin/nginx", "/usr/bin/nginx"].first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    init(upstreams: [Int]) throws {
        guard let nginx = Self.executable else { throw XCTSkip("nginx is not installed (scripts/setup.sh installs it)") }
        dir = NSTemporaryDirectory() + "tonehost-nginx-\(UUID().uuidString.prefix(8))"
        port = ServerProcess.freePort()
        try FileManager.default.createDirectory(atPath: dir + "/temp", withIntermediateDirectories: true)
        chmod(dir, 0o777)
        chmod(dir + "/temp", 0o777)
        let proxy = TestPlugins.repoRoot.appendingPathComponent("deploy/nginx/tonehost-proxy.conf").path
        let servers = upstreams.map { "        server 127.0.0.1:\($0) max_fails=1 fail_timeout=2s;" }.joined(separator: "\n")
        let config = """
            daemon on;
            worker_processes 1;
            pid \(dir)/nginx.pid;
            error_log \(dir)/error.log warn;
            events { worker_connections 1024; }
            http {
                access_log \(dir)/access.log;
                client_body_temp_path \(dir)/temp/body;
                proxy_temp_path \(dir)/temp/proxy;
                fastcgi_temp_path \(dir)/temp/fastcgi;
                uwsgi_temp_path \(dir)/temp/uwsgi;
                scgi_temp_path \(dir)/temp/scgi;
                upstream tonehost {
            \(servers)
                    keepalive 16;
                }
                server {
                    listen 127.0.0.1:\(port);
                    add_header X-Upstream $upstream_addr always;
                    location / {
                        include \(proxy);
                    }
                }
            }
            """
        try config.write(toFile: dir + "/nginx.conf", atomically: true, encoding: .utf8)
        try LocalPostgres.run(nginx, ["-p", dir, "-e", dir + "/error.log", "-c", dir + "/nginx.conf"], capture: false)
        let end = Date().addingTimeInterval(10)
        while Date() < end {
            if let text = try? String(contentsOfFile: dir + "/nginx.pid", encoding: .utf8),
               let pid = pid_t(text.trimmingCharacters(in: .whitespacesAndNewlines)) {
                masterPID = pid
                return
            }
            Thread.sleep(forTimeInterval: 0.05)
        }
        throw NSError(domain: "LocalNginx", code: 1, userInfo: [NSLocalizedDescriptionKey: "nginx did not start"])
    }

    var url: String { "http://127.0.0.1:\(port)" }

    var errorLog: String { (try? String(contentsOfFile: dir + "/error.log", encoding: .utf8)) ?? "" }

    func stop() {
        guard masterPID > 0 else { return }
        kill(masterPID, SIGQUIT)
        let end = Date().addingTimeInterval(10)
        while kill(masterPID, 0) == 0, Date() < end { Thread.sleep(forTimeInterval: 0.05) }
        if kill(masterPID, 0) == 0 { kill(masterPID, SIGKILL) }
        masterPID = 0
    }

    deinit {
        stop()
        try? FileManager.default.removeItem(atPath: dir)
    }
}
