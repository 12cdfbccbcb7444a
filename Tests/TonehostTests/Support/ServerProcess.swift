import CurlHTTP
import Foundation
import XCTest

/// A `tonehost` server process on 127.0.0.1 started by a test, and HTTP helpers around it.
final class ServerProcess {
    let process = Process()
    let port: Int
    let output: Pipe = Pipe()
    private let logLock = NSLock()
    private var logData = Data()

    /// Starts `tonehost <arguments> --host 127.0.0.1 --port <port or a free one>` and waits for
    /// /health (or for `ready(port)` to say so: an HTTPS server).
    init(_ arguments: [String], environment: [String: String] = [:], healthPath: String = "/health", port: Int? = nil,
         ready: ((Int) -> Bool)? = nil) throws {
        self.port = port ?? ServerProcess.freePort()
        process.executableURL = URL(fileURLWithPath: TestPlugins.productsDir + "/tonehost")
        process.arguments = arguments + ["--host", "127.0.0.1", "--port", "\(self.port)"]
        var env = ProcessInfo.processInfo.environment
        env["TONEHOST_PLUGIN_PATH"] = TestPlugins.productsDir
        for (k, v) in environment { env[k] = v }
        process.environment = env
        process.standardOutput = output
        process.standardError = output
        output.fileHandleForReading.readabilityHandler = { [weak self] h in
            self?.setReading(true)
            let d = h.availableData
            guard let self else { return }
            self.logLock.lock(); self.logData.append(d); self.reading = false; self.logLock.unlock()
        }
        try process.run()
        let deadline = Date().addingTimeInterval(30)
        while Date() < deadline {
            if !process.isRunning { throw NSError(domain: "ServerProcess", code: 1, userInfo: [NSLocalizedDescriptionKey: "server exited: \(log)"]) }
            if let ready {
                if ready(self.port) { return }
            } else if let r = try? HTTP.get("http://127.0.0.1:\(self.port)\(healthPath)", timeout: 1), r.status == 200 { return }
            Thread.sleep(forTimeInterval: 0.1)
        }
        stop()
        throw NSError(domain: "ServerProcess", code: 2, userInfo: [NSLocalizedDescriptionKey: "server did not become healthy: \(log)"])
    }

    var url: String { "http://127.0.0.1:\(port)" }

    /// Everything the server has written so far. What it wrote before the caller's last answer
    /// arrived is in: the pipe is drained first (up to 2 s), so a warning logged while a request
    /// was served is there once its response is.
    var log: String {
        let fd = output.fileHandleForReading.fileDescriptor
        let end = Date().addingTimeInterval(2)
        while Date() < end {
            var p = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            let pending = poll(&p, 1, 0) > 0 && p.revents & Int16(POLLIN) != 0
            logLock.lock()
            let busy = reading
            logLock.unlock()
            if !pending && !busy { break }
            if process.isRunning == false && !busy { break }  // EOF keeps POLLIN set
            usleep(2_000)
        }
        logLock.lock()
        defer { logLock.unlock() }
        return String(decoding: logData, as: UTF8.self)
    }

    /// The reader is between taking bytes off the pipe and appending them.
    private var reading = false
    private func setReading(_ value: Bool) {
        logLock.lock(); reading = value; logLock.unlock()
    }

    /// Threads of the server process right now.
    var threadCount: Int {
        let status = (try? String(contentsOfFile: "/proc/\(process.processIdentifier)/status", encoding: .utf8)) ?? ""
        let line = status.split(separator: "\n").first { $0.hasPrefix("Threads:") } ?? "Threads: -1"
        return Int(line.split(separator: "\t").last?.trimmingCharacters(in: .whitespaces) ?? "-1") ?? -1
    }

    func stop() {
        if process.isRunning {
            process.terminate()
            process.waitUntilExit()
        }
        output.fileHandleForReading.readabilityHandler = nil
    }

    deinit { stop() }

    static func freePort() -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        addr.sin_port = 0
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, len) } }
        _ = withUnsafeMutablePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &len) } }
        return Int(UInt16(bigEndian: addr.sin_port))
    }
}

/// Blocking HTTP helpers for tests, over the project's own libcurl client.
enum HTTP {
    struct Response {
        var status: Int
        var body: Data
        var headers: [String: String]
        var text: String { String(decoding: body, as: UTF8.self) }
        var json: [String: Any] { (try? JSONSerialization.jsonObject(with: body) as? [String: Any]) ?? [:] }
        /// Seconds from the request to the first body byte, and to the end.
        var firstByte: Double?
        var total: Double = 0
    }

    static func get(_ url: String, timeout: Double = 30) throws -> Response {
        try send(url, method: "GET", body: nil, timeout: timeout)
    }

    static func post(_ url: String, json: Any, timeout: Double = 30) throws -> Response {
        try send(url, method: "POST", body: try JSONSerialization.data(withJSONObject: json), timeout: timeout)
    }

    static func post(_ url: String, raw: String, timeout: Double = 30) throws -> Response {
        try send(url, method: "POST", body: Data(raw.utf8), timeout: timeout)
    }

    static func delete(_ url: String) throws -> Response { try send(url, method: "DELETE", body: nil, timeout: 30) }

    /// Posts JSON without blocking a thread (for async tests: the cooperative pool stays free).
    static func postAsync(_ url: String, json: Any, timeout: Double = 30) async throws -> Response {
        let body = try JSONSerialization.data(withJSONObject: json)
        return try await withCheckedThrowingContinuation { continuation in
            start(url, method: "POST", body: body, timeout: timeout, onData: nil) { continuation.resume(with: $0) }
        }
    }

    static func getAsync(_ url: String, timeout: Double = 30) async throws -> Response {
        try await withCheckedThrowingContinuation { continuation in
            start(url, method: "GET", body: nil, timeout: timeout, onData: nil) { continuation.resume(with: $0) }
        }
    }

    /// Sends a request; `onData` sees each chunk as it arrives (return false to hang up).
    static func send(_ url: String, method: String, body: Data?, timeout: Double, headers: [String] = [],
                     onData: ((Data) -> Bool)? = nil) throws -> Response {
        let done = DispatchSemaphore(value: 0)
        var outcome: Result<Response, Error>?
        start(url, method: method, body: body, timeout: timeout, headers: headers, onData: onData) { result in
            outcome = result
            done.signal()
        }
        done.wait()
        return try outcome!.get()
    }

    private static func start(_ url: String, method: String, body: Data?, timeout: Double, headers extraHeaders: [String] = [],
                              onData: ((Data) -> Bool)?, completion: @escaping (Result<Response, Error>) -> Void) {
        let lock = NSLock()
        var data = Data()
        var headerLines: [String] = []
        var first: Double?
        let start = Date()
        let request = CurlHTTPClient.Request(url: url, method: method, headers: ["Content-Type: application/json"] + extraHeaders, body: body,
                                             timeoutMilliseconds: Int(timeout * 1000))
        CurlHTTPClient.shared.start(request, onHeader: { line in
            lock.lock(); headerLines.append(line); lock.unlock()
        }, onData: { chunk in
            lock.lock()
            if first == nil { first = Date().timeIntervalSince(start) }
            data.append(chunk)
            lock.unlock()
            return onData?(chunk) ?? true
        }) { result in
            switch result {
            case .failure(let f): completion(.failure(f))
            case .success(let status):
                var headers: [String: String] = [:]
                lock.lock()
                for line in headerLines {
                    guard let colon = line.firstIndex(of: ":") else { continue }
                    headers[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespacesAndNewlines)
                }
                let response = Response(status: status, body: data, headers: headers, firstByte: first, total: Date().timeIntervalSince(start))
                lock.unlock()
                completion(.success(response))
            }
        }
    }
}
