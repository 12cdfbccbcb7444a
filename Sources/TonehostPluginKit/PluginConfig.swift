import Foundation

/// The manifest's `[config]` table as the host handed it over (JSON), with typed accessors
/// whose errors name the key, what was expected and what was found.
public struct PluginConfig: @unchecked Sendable {
    public let values: [String: Any]

    public init(json: String) throws {
        guard let data = json.data(using: .utf8),
              let object = try? JSONSerialization.jsonObject(with: data),
              let dict = object as? [String: Any]
        else { throw PluginError(.config, "config is not a JSON object: \(json.prefix(200))") }
        values = dict
    }

    public func string(_ key: String) throws -> String? {
        guard let v = values[key] else { return nil }
        if let s = v as? String { return s }
        throw PluginError(.config, "config key '\(key)' must be a string, found \(Self.describe(v))")
    }

    public func string(_ key: String, default d: String) throws -> String { try string(key) ?? d }

    public func int(_ key: String) throws -> Int? {
        guard let v = values[key] else { return nil }
        if let s = v as? String, s.trimmingCharacters(in: .whitespaces).isEmpty { return nil }  // "${VAR:-}"
        if let n = v as? NSNumber, !(v is Bool), n.doubleValue == n.doubleValue.rounded() { return n.intValue }
        if let s = v as? String, let n = Int(s.trimmingCharacters(in: .whitespaces)) { return n }  // from ${VAR}
        throw PluginError(.config, "config key '\(key)' must be an integer, found \(Self.describe(v))")
    }

    public func int(_ key: String, default d: Int) throws -> Int { try int(key) ?? d }

    public func double(_ key: String) throws -> Double? {
        guard let v = values[key] else { return nil }
        if let s = v as? String, s.trimmingCharacters(in: .whitespaces).isEmpty { return nil }
        if let n = v as? NSNumber, !(v is Bool) { return n.doubleValue }
        if let s = v as? String, let n = Double(s.trimmingCharacters(in: .whitespaces)) { return n }
        throw PluginError(.config, "config key '\(key)' must be a number, found \(Self.describe(v))")
    }

    public func bool(_ key: String, default d: Bool) throws -> Bool {
        guard let v = values[key] else { return d }
        if let b = v as? Bool { return b }
        if let s = v as? String {
            switch s.lowercased() {
            case "true", "1", "yes", "on": return true
            case "false", "0", "no", "off", "": return false
            default: break
            }
        }
        throw PluginError(.config, "config key '\(key)' must be true or false, found \(Self.describe(v))")
    }

    public func stringArray(_ key: String) throws -> [String]? {
        guard let v = values[key] else { return nil }
        if let a = v as? [String] { return a }
        throw PluginError(.config, "config key '\(key)' must be an array of strings, found \(Self.describe(v))")
    }

    static func describe(_ v: Any) -> String {
        switch v {
        case is String: return "a string"
        case is Bool: return "a boolean"
        case is NSNumber: return "the number \(v)"
        case is [Any]: return "an array"
        case is [String: Any]: return "a table"
        default: return "\(type(of: v))"
        }
    }
}
