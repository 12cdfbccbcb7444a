import CurlHTTP
import Foundation
import TonehostPluginKit

/// A describer that asks a description (vision) service over HTTP, asynchronously (libcurl
/// multi: no thread waits per request). Speaks the description contract:
///   endpoint = "visual-context" → GET {url}/visual-context/{session} → {"visual_context", "available"}
///   endpoint = "user-description" → GET {url}/api/get-user-description → {"success", "user_description"}
/// Config: url (required), endpoint, timeout_ms (default 5000; the host's deadline also applies).
/// Every failure (unreachable, slow, 5xx, invalid JSON, missing fields, available:false) ends in
/// an error the host turns into an empty description and casual_friendly.
final class VLMClient: AsyncDescriberPlugin {
    enum Endpoint: String { case visualContext = "visual-context", userDescription = "user-description" }

    private let baseURL: String
    private let endpoint: Endpoint
    private let timeoutMilliseconds: Int
    private let host: HostServices
    private let client = CurlHTTPClient.shared

    init(host: HostServices, config: PluginConfig) throws {
        self.host = host
        guard let url = try config.string("url"), url.hasPrefix("http://") || url.hasPrefix("https://") else {
            throw PluginError(.config, "config key 'url' must be an http:// or https:// URL of the description service")
        }
        baseURL = url.hasSuffix("/") ? String(url.dropLast()) : url
        let name = try config.string("endpoint", default: Endpoint.visualContext.rawValue)
        guard let e = Endpoint(rawValue: name) else {
            throw PluginError(.config, "config key 'endpoint' must be \"visual-context\" or \"user-description\", found \"\(name)\"")
        }
        endpoint = e
        timeoutMilliseconds = max(1, try config.int("timeout_ms", default: 5000))
        host.log(.info, "VLM client for \(baseURL) (\(endpoint.rawValue))")
    }

    func describe(_ request: DescribeRequest, sink: CallSink, completion: @escaping (Result<String, PluginError>) -> Void) {
        let session = request.sessionID.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed.subtracting(["/"])) ?? "default"
        let url = endpoint == .visualContext ? "\(baseURL)/visual-context/\(session)" : "\(baseURL)/api/get-user-description"
        let budget = min(timeoutMilliseconds, sink.remainingMilliseconds.map { Int(min($0, UInt64(Int.max))) } ?? Int.max)
        let endpoint = self.endpoint
        let state = CallState()
        let transfer = client.fetch(.init(url: url, headers: ["Accept: application/json"], timeoutMilliseconds: budget)) { result in
            state.complete {
                switch result {
                case .failure(let f):
                    let code: PluginError.Code = f.kind == .timeout ? .timeout : f.kind == .cancelled ? .cancelled : .unavailable
                    completion(.failure(PluginError(code, "description service: \(f.message)")))
                case .success(let (status, body)):
                    completion(Self.parse(status: status, body: body, endpoint: endpoint))
                }
            }
        }
        // Cancellation: the host may give up (deadline, client gone) before the service answers.
        CancellationWatch.watch(state: state, sink: sink, transfer: transfer)
    }

    static func parse(status: Int, body: Data, endpoint: Endpoint) -> Result<String, PluginError> {
        guard (200..<300).contains(status) else {
            return .failure(PluginError(.unavailable, "description service answered HTTP \(status)"))
        }
        guard let object = try? JSONSerialization.jsonObject(with: body) as? [String: Any] else {
            return .failure(PluginError(.badResponse, "description service answered invalid JSON"))
        }
        switch endpoint {
        case .visualContext:
            guard let available = object["available"] as? Bool else {
                return .failure(PluginError(.badResponse, "description service answer lacks 'available'"))
            }
            guard available, let text = object["visual_context"] as? String else {
                return .failure(PluginError(.unavailable, "description service has no visual context for this session"))
            }
            return .success(text)
        case .userDescription:
            guard let text = object["user_description"] as? String else {
                return .failure(PluginError(.badResponse, "description service answer lacks 'user_description'"))
            }
            if let ok = object["success"] as? Bool, !ok {
                return .failure(PluginError(.unavailable, "description service reported success=false"))
            }
            return .success(text)
        }
    }
}

/// Whether a PENDING call has been completed: the call handle may only be touched before.
final class CallState: @unchecked Sendable {
    private let lock = NSLock()
    private var done = false

    func complete(_ body: () -> Void) {
        lock.lock()
        defer { lock.unlock() }
        guard !done else { return }
        done = true
        body()
    }

    /// Runs `body` only while the call is still pending; nil once it completed.
    func whilePending<T>(_ body: () -> T) -> T? {
        lock.lock()
        defer { lock.unlock() }
        return done ? nil : body()
    }
}

/// Polls the host's cancellation flag for transfers in flight.
enum CancellationWatch {
    private static let queue = DispatchQueue(label: "tonehost.vlm.cancellation")

    static func watch(state: CallState, sink: CallSink, transfer: CurlHTTPClient.Transfer) {
        queue.asyncAfter(deadline: .now() + .milliseconds(50)) {
            switch state.whilePending({ sink.isCancelled }) {
            case nil: return
            case true?: transfer.cancel()
            case false?: watch(state: state, sink: sink, transfer: transfer)
            }
        }
    }
}

private let export = PluginExport.asyncDescriber(
    id: "tonehost.describer.vlm-client", version: "1.0",
    description: "Visitor descriptions from a description/VLM service over HTTP (async, libcurl)") { host, config in
    try VLMClient(host: host, config: config)
}

@_cdecl("tonehost_plugin_entry")
public func tonehostPluginEntry() -> UnsafeRawPointer { export.descriptor }
