/// What values a setting takes. Every raw value (flag, environment, file, default) is checked
/// against its kind before anything reads it; `refusal` says what was expected.
public enum SettingKind: Sendable, Equatable {
    /// Any text; empty means unset.
    case string
    /// An integer within the range.
    case int(ClosedRange<Int>)
    /// A duration in milliseconds, 0 or more (0 usually means none).
    case milliseconds
    /// A duration in seconds, 0 or more.
    case seconds
    /// true/false (also 1/0, yes/no, on/off).
    case bool
    /// Comma-separated text (a TOML array is joined with commas).
    case list
    /// One of these words (case-insensitive).
    case choice([String])

    static let trueWords = ["true", "1", "yes", "on"]
    static let falseWords = ["false", "0", "no", "off"]

    /// The type as the README table and `--help` name it.
    public var typeName: String {
        switch self {
        case .string: return "string"
        case .int(let r): return r == Self.nonNegative ? "integer" : "integer \(r.lowerBound)…\(r.upperBound)"
        case .milliseconds: return "milliseconds"
        case .seconds: return "seconds"
        case .bool: return "bool"
        case .list: return "comma-separated list"
        case .choice(let words): return "one of " + words.joined(separator: ", ")
        }
    }

    public static let nonNegative = 0...Int.max

    /// nil when `raw` is a value of this kind; else the end of the error message
    /// ("must be a non-negative integer, found \"abc\"").
    func refusal(_ raw: String) -> String? {
        switch self {
        case .string, .list:
            return nil
        case .int(let range):
            guard let n = Int(raw), n >= range.lowerBound else {
                return range.lowerBound == 0 ? "must be a non-negative integer, found \"\(raw)\""
                                             : "must be an integer from \(range.lowerBound), found \"\(raw)\""
            }
            return n > range.upperBound ? "must be at most \(range.upperBound), found \(n)" : nil
        case .milliseconds, .seconds:
            return SettingKind.int(Self.nonNegative).refusal(raw)
        case .bool:
            return (Self.trueWords + Self.falseWords).contains(raw.lowercased()) ? nil : "must be true or false, found \"\(raw)\""
        case .choice(let words):
            return words.contains(raw.lowercased()) ? nil : "must be one of \(words.joined(separator: ", ")); found \"\(raw)\""
        }
    }
}
