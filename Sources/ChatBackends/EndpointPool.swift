import Foundation
import TonehostPluginKit

/// Several instances of one backend (VLM, LLM, embedder servers) without an external balancer:
/// a call tries them in order (`in_order`: the first is primary, the rest standbys) or spreads
/// calls over them (`spread`: round-robin). An endpoint that fails (unreachable, timed out, 5xx)
/// is ejected for `eject_ms`; after that the next call tries it again (the probe), and a success
/// brings it back. When every endpoint is ejected, they are all tried anyway (oldest ejection
/// first): an outage of all of them costs no more than trying.
///
/// Config, read by `init(config:)`: `url` (or `base_url`) holding one URL, several separated by
/// commas or spaces, or an array of URLs; `endpoint_order` (`in_order` | `spread`);
/// `eject_ms` (default 10000). Thread-safe.
public final class EndpointPool: @unchecked Sendable {
    public enum Order: String, Sendable { case inOrder = "in_order", spread }

    public let urls: [String]
    public let order: Order
    public let ejectMilliseconds: Int
    private let lock = NSLock()
    private var ejectedUntil: [Date?]
    private var next = 0

    public init(urls: [String], order: Order = .inOrder, ejectMilliseconds: Int = 10_000) {
        precondition(!urls.isEmpty, "an endpoint pool needs at least one URL")
        self.urls = urls
        self.order = order
        self.ejectMilliseconds = ejectMilliseconds
        ejectedUntil = Array(repeating: nil, count: urls.count)
    }

    /// The URLs of `key` (`url = "http://a:5003, http://b:5003"` or `url = ["http://a:5003", …]`),
    /// each `http://` or `https://` (none: `http://`), without a trailing slash. nil when the key is absent.
    public static func urls(_ config: PluginConfig, key: String) throws -> [String]? {
        guard let value = config.values[key] else { return nil }
        let items: [String]
        if let s = value as? String {
            items = s.split { $0 == "," || $0 == " " || $0 == "\n" }.map(String.init)
        } else if let a = value as? [Any] {
            items = try a.map {
                guard let s = $0 as? String else { throw PluginError(.config, "config key '\(key)' must list URLs as strings, found \($0)") }
                return s.trimmingCharacters(in: .whitespaces)
            }
        } else {
            throw PluginError(.config, "config key '\(key)' must be a URL, several separated by commas, or an array of URLs")
        }
        // "host:port" without a scheme is http (as the Ollama CLI takes OLLAMA_HOST).
        let urls = items.filter { !$0.isEmpty }
            .map { $0.contains("://") ? $0 : "http://" + $0 }
            .map { $0.hasSuffix("/") ? String($0.dropLast()) : $0 }
        if let bad = urls.first(where: { !($0.hasPrefix("http://") || $0.hasPrefix("https://")) }) {
            throw PluginError(.config, "config key '\(key)': expected http:// or https:// URLs, found \"\(bad)\"")
        }
        return urls.isEmpty ? nil : urls
    }

    /// A pool from `urls` and the manifest's `endpoint_order` / `eject_ms`.
    public convenience init(urls: [String], config: PluginConfig) throws {
        let name = try config.string("endpoint_order", default: Order.inOrder.rawValue)
        guard let order = Order(rawValue: name) else {
            throw PluginError(.config, "config key 'endpoint_order' must be \"in_order\" or \"spread\", found \"\(name)\"")
        }
        self.init(urls: urls, order: order, ejectMilliseconds: max(0, try config.int("eject_ms", default: 10_000)))
    }

    /// Indices to try for one call, best first: the endpoints in service (from the first, or
    /// from the round-robin position), then the ejected ones, the longest-ejected first.
    public func plan(now: Date = Date()) -> [Int] {
        lock.lock()
        defer { lock.unlock() }
        let start: Int
        if order == .spread {
            start = next % urls.count
            next &+= 1
        } else {
            start = 0
        }
        let rotation = (0..<urls.count).map { (start + $0) % urls.count }
        let live = rotation.filter { ejectedUntil[$0].map { $0 <= now } ?? true }
        let ejected = rotation.filter { !live.contains($0) }.sorted { ejectedUntil[$0]! < ejectedUntil[$1]! }
        return live + ejected
    }

    public func failed(_ index: Int) {
        lock.lock()
        ejectedUntil[index] = Date().addingTimeInterval(Double(ejectMilliseconds) / 1000)
        lock.unlock()
    }

    public func succeeded(_ index: Int) {
        lock.lock()
        ejectedUntil[index] = nil
        lock.unlock()
    }

    /// The next try of a call that fails over along `plan` (from `plan()`): the instance to try
    /// and how long it may take (`timeoutMilliseconds`, cut to what is left of the call's
    /// deadline). nil, once `completion` has the call's failure, when no instance is left
    /// (`unavailable`, the earlier `failures` joined) or no time is (`timeout`), or the call
    /// was cancelled.
    public static func nextTry<T>(_ plan: ArraySlice<Int>, sink: CallSink, timeoutMilliseconds: Int?, failures: [String],
                                  completion: (Result<T, PluginError>) -> Void) -> (index: Int, timeoutMilliseconds: Int?)? {
        guard let index = plan.first else {
            completion(.failure(PluginError(.unavailable, failures.joined(separator: "; "))))
            return nil
        }
        let remaining = sink.remainingMilliseconds.map { Int(min($0, UInt64(Int.max))) }
        if remaining == 0 || sink.isCancelled {
            completion(.failure(PluginError(.timeout, "no time left after: \(failures.joined(separator: "; "))")))
            return nil
        }
        return (index, [timeoutMilliseconds, remaining].compactMap { $0 }.min())
    }

    /// Whether `index` is out of service right now.
    public func isEjected(_ index: Int) -> Bool {
        lock.lock()
        defer { lock.unlock() }
        return ejectedUntil[index].map { $0 > Date() } ?? false
    }
}
