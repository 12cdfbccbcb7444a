import Foundation
import TOMLKit

/// Where a setting's value came from, highest precedence first.
public enum ConfigSource: Sendable, Equatable, CustomStringConvertible {
    case flag
    case environment(String)
    case file(String)
    case defaultValue

    public var description: String {
        switch self {
        case .flag: return "flag"
        case .environment(let name): return "env \(name)"
        case .file(let path): return "file \(path)"
        case .defaultValue: return "default"
        }
    }
}

public struct ConfigError: Error, CustomStringConvertible {
    public let message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

enum ConfigFile {
    /// Reads a flat TOML file of `key = value` into strings (arrays joined with commas).
    /// Unknown keys are errors, so a typo does not silently fall back to a default.
    static func read(_ path: String) throws -> [String: String] {
        let text: String
        do {
            text = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw ConfigError("config file \(path): cannot read: \(error.localizedDescription)")
        }
        let table: TOMLTable
        do {
            table = try TOMLTable(string: text)
        } catch let e as TOMLParseError {
            throw ConfigError("config file \(path): bad TOML at line \(e.source.begin.line), column \(e.source.begin.column): \(e.description)")
        } catch {
            throw ConfigError("config file \(path): bad TOML: \(error)")
        }
        var values: [String: String] = [:]
        for key in table.keys {
            guard Settings.named(key) != nil else {
                throw ConfigError("config file \(path): unknown key '\(key)' (known: \(Settings.all.map(\.name).joined(separator: ", ")))")
            }
            let v = table[key]!
            if let s = v.string { values[key] = s }
            else if let i = v.int { values[key] = String(i) }
            else if let d = v.double { values[key] = String(d) }
            else if let b = v.bool { values[key] = String(b) }
            else if let a = v.array { values[key] = a.compactMap { $0.string ?? $0.int.map(String.init) }.joined(separator: ",") }
            else { throw ConfigError("config file \(path): key '\(key)' must be a string, number, boolean or array, found \(v.type)") }
        }
        return values
    }
}
