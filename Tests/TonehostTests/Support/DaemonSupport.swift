import CurlHTTP
import Foundation
import XCTest

/// Helpers for the daemon tests: requests with headers, signals, waiting for the process.
enum DaemonHTTP {
    /// A request with extra header lines ("Name: value"), without blocking a thread.
    static func send(_ url: String, method: String, headers: [String] = [], body: Data? = nil,
                     timeout: Double = 30) async throws -> (status: Int, body: String) {
        try await withCheckedThrowingContinuation { continuation in
            let lock = NSLock()
            var data = Data()
            let request = CurlHTTPClient.Request(url: url, method: method, headers: ["Content-Type: application/json"] + headers,
                                                 body: body, timeoutMilliseconds: Int(timeout * 1000))
            CurlHTTPClient.shared.start(request, onHeader: nil, onData: { chunk in
                lock.lock(); data.append(chunk); lock.unlock()
                return true
            }) { result in
                lock.lock()
                let text = String(decoding: data, as: UTF8.self)
                lock.unlock()
                continuation.resume(with: result.map { ($0, text) })
            }
        }
    }
}

extension ServerProcess {
    func signal(_ signal: Int32) {
        kill(process.processIdentifier, signal)
    }

    /// Waits (without blocking the cooperative pool) until the log contains `text`.
    func waitForLog(_ text: String, count: Int = 1, timeout: Double = 20) async -> Bool {
        let end = Date().addingTimeInterval(timeout)
        while Date() < end {
            if log.components(separatedBy: text).count - 1 >= count { return true }
            try? await Task.sleep(for: .milliseconds(50))
        }
        return false
    }

    /// Waits for the process to exit; nil if it is still running after `timeout`.
    func waitForExit(timeout: Double = 30) async -> Int32? {
        let end = Date().addingTimeInterval(timeout)
        while Date() < end {
            if !process.isRunning { return process.terminationStatus }
            try? await Task.sleep(for: .milliseconds(50))
        }
        return nil
    }
}

/// A query that streams for a while, as a kiosk client sends it.
func streamingQuery(_ server: ServerProcess, session: String, timeout: Double = 60) async throws -> HTTP.Response {
    try await HTTP.postAsync(server.url + "/api/rag-llm/query-with-tone",
                             json: ["text_user_msg": "What is ITRI?", "session_id": session], timeout: timeout)
}

/// Whether a streamed answer completed: 200, `END_FLAG` on the last line, no `ERROR:` line.
func completed(_ r: HTTP.Response) -> Bool {
    let lines = r.text.components(separatedBy: "\n")
    return r.status == 200 && lines.last(where: { !$0.isEmpty }) == "END_FLAG" && !lines.contains { $0.hasPrefix("ERROR:") }
}

/// Words for a slow test LLM: with `delay_ms` per word, the stream lasts words × delay.
func words(_ n: Int) -> String {
    (1...n).map { "word\($0)." }.joined(separator: " ")
}
