import Foundation
import TonehostPluginKit
import TonehostText

/// The random user-description simulator: picks a description from a pool, like the original
/// random_user_description_server. Config:
///   pool_file      — optional JSON array of strings (or a text file, one description per line)
///   seed           — optional integer: reproducible picks
///   latency_ms     — optional simulated latency (demos, benchmarks); 0 by default
///   latency_jitter_ms — optional extra random latency
///   sticky_sessions — true: one description per session for the session's lifetime (default false)
final class RandomDescriber: DescriberPlugin {
    private let pool: [String]
    private let latency: Int
    private let jitter: Int
    private let sticky: Bool
    private let lock = NSLock()
    private var rng: SplitMix64
    private var sessions: [String: String] = [:]

    init(host: HostServices, config: PluginConfig) throws {
        if let file = try config.string("pool_file"), !file.isEmpty {
            pool = try Self.loadPool(file)
        } else {
            pool = defaultDescriptionPool
        }
        latency = max(0, try config.int("latency_ms", default: 0))
        jitter = max(0, try config.int("latency_jitter_ms", default: 0))
        sticky = try config.bool("sticky_sessions", default: false)
        if let seed = try config.int("seed") {
            rng = SplitMix64(seed: UInt64(bitPattern: Int64(seed)))
        } else {
            var system = SystemRandomNumberGenerator()
            rng = SplitMix64(seed: system.next())
        }
        host.log(.info, "random describer ready with \(pool.count) descriptions")
    }

    static func loadPool(_ file: String) throws -> [String] {
        guard let data = FileManager.default.contents(atPath: file) else {
            throw PluginError(.config, "pool_file \(file) cannot be read")
        }
        if let list = try? JSONSerialization.jsonObject(with: data) as? [String] {
            guard !list.isEmpty else { throw PluginError(.config, "pool_file \(file) is an empty list") }
            return list
        }
        let lines = String(decoding: data, as: UTF8.self).split(separator: "\n").map(String.init).filter { !$0.isEmpty }
        guard !lines.isEmpty else { throw PluginError(.config, "pool_file \(file) has no descriptions (expected a JSON array of strings or one per line)") }
        return lines
    }

    /// The whole pool (for the description server's /api/simulator/pool).
    var descriptionPool: [String]? { pool }

    func describe(_ request: DescribeRequest, sink: CallSink) throws -> String {
        lock.lock()
        let extra = jitter > 0 ? Int(rng.next() % UInt64(jitter + 1)) : 0
        let pick: String
        if sticky, let known = sessions[request.sessionID] {
            pick = known
        } else {
            pick = pool[Int(rng.next() % UInt64(pool.count))]
            if sticky { sessions[request.sessionID] = pick }
        }
        lock.unlock()
        if latency + extra > 0 { try sink.sleep(milliseconds: latency + extra) }
        return pick
    }
}

private let export = PluginExport.describer(
    id: "tonehost.describer.random", version: "1.0",
    description: "Random visitor descriptions from a pool (simulator)") { host, config in
    try RandomDescriber(host: host, config: config)
}

@_cdecl("tonehost_plugin_entry")
public func tonehostPluginEntry() -> UnsafeRawPointer { export.descriptor }
