import CurlHTTP
import Foundation

/// Why a chat call produced no (complete) answer. Messages never contain the API key.
public struct ChatFailure: Error, CustomStringConvertible, Sendable {
    public enum Kind: Sendable { case unreachable, timeout, http, backend, malformed, cancelled, interrupted }
    public let kind: Kind
    public let message: String
    public var description: String { message }
}

/// Runs one streaming chat call: text deltas go to `onText` as they arrive (return false to
/// stop); `completion` runs once, on the HTTP client's thread.
public enum ChatStream {
    @discardableResult
    public static func start(_ backend: ChatBackend, messages: [ChatBackend.Message], temperature: Double?, maxTokens: Int?,
                             timeoutMilliseconds: Int?, client: CurlHTTPClient = .shared,
                             onText: @escaping (String) -> Bool,
                             completion: @escaping (Result<Void, ChatFailure>) -> Void) -> CurlHTTPClient.Transfer {
        let state = State(parser: backend.makeParser())
        let request = backend.chatRequest(messages, temperature: temperature, maxTokens: maxTokens, timeoutMilliseconds: timeoutMilliseconds)
        let where_ = "\(backend.api == .ollama ? "Ollama" : "OpenAI-compatible server") at \(backend.baseURL)"
        return client.start(request, onHeader: { line in
            if line.hasPrefix("HTTP/"), let code = line.split(separator: " ").dropFirst().first.flatMap({ Int($0) }) {
                state.status = code
            }
        }, onData: { data in
            state.receivedBytes += data.count
            guard (200..<300).contains(state.status) else {
                state.errorBody.append(data.prefix(4096 - state.errorBody.count))
                return true
            }
            for event in state.parser.push(data) {
                if !state.handle(event, onText: onText) { return false }
            }
            return true
        }) { result in
            switch result {
            case .failure(let f):
                completion(.failure(failure(f, where_: where_, state: state)))
            case .success(let status):
                if !(200..<300).contains(status) {
                    completion(.failure(ChatFailure(kind: .http, message: "\(where_) answered HTTP \(status)\(errorDetail(state.errorBody))")))
                    return
                }
                for event in state.parser.finish() { _ = state.handle(event, onText: onText) }
                if let error = state.backendError {
                    completion(.failure(ChatFailure(kind: .backend, message: "\(where_): \(error)")))
                } else if state.stopped {
                    completion(.success(()))
                } else if !state.finished {
                    let detail = state.parser.malformedLines > 0 ? " (\(state.parser.malformedLines) malformed lines)" : ""
                    completion(.failure(ChatFailure(kind: .malformed, message: "\(where_): the stream ended before the answer was complete\(detail)")))
                } else {
                    completion(.success(()))
                }
            }
        }
    }

    /// Says what happened: a backend that answered and then dropped the connection was
    /// reachable, so it is "closed mid-answer", not "unreachable".
    static func failure(_ f: CurlHTTPClient.Failure, where_: String, state: State) -> ChatFailure {
        switch f.kind {
        case .timeout:
            return ChatFailure(kind: .timeout, message: "\(where_): timed out\(state.progress) (\(f.message))")
        case .cancelled:
            return ChatFailure(kind: .cancelled, message: "\(where_): cancelled (\(f.message))")
        case .unreachable:
            return ChatFailure(kind: .unreachable, message: "\(where_): unreachable (\(f.message))")
        case .other where state.receivedBytes > 0:
            return ChatFailure(kind: .interrupted, message: "\(where_): the connection closed mid-answer\(state.progress) (\(f.message))")
        case .other:
            return ChatFailure(kind: .interrupted, message: "\(where_): the connection failed before any answer (\(f.message))")
        }
    }

    static func errorDetail(_ body: Data) -> String {
        guard !body.isEmpty else { return "" }
        if let o = try? JSONSerialization.jsonObject(with: body) as? [String: Any] {
            if let m = (o["error"] as? [String: Any])?["message"] as? String { return ": \(m.prefix(200))" }
            if let m = o["error"] as? String { return ": \(m.prefix(200))" }
        }
        return ": " + String(decoding: body.prefix(200), as: UTF8.self)
    }

    final class State: @unchecked Sendable {
        var parser: ChatStreamParser
        var status = 200
        var errorBody = Data()
        var backendError: String?
        var finished = false
        var stopped = false
        var receivedBytes = 0
        var textChunks = 0
        init(parser: ChatStreamParser) { self.parser = parser }

        /// " after N bytes (M text chunks)" once anything arrived.
        var progress: String { receivedBytes > 0 ? " after \(receivedBytes) bytes (\(textChunks) text chunks)" : "" }

        /// Only the HTTP client's thread touches this state.
        func handle(_ event: ChatStreamParser.Event, onText: (String) -> Bool) -> Bool {
            switch event {
            case .text(let t):
                textChunks += 1
                if !onText(t) { stopped = true; return false }
            case .done:
                finished = true
            case .error(let e):
                backendError = e
                return false
            }
            return true
        }
    }
}
