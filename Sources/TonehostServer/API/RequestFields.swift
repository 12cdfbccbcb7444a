import Foundation

/// What a request's fields may hold at most, from the running settings (they are reloadable).
public struct RequestLimits: Sendable {
    /// Characters of a question or a `user_msg` (a text to convert: four times as many).
    var messageLength: Int
    /// Characters of a `user_description`.
    var descriptionLength: Int
    /// UTF-8 bytes of a `session_id`.
    var sessionIDBytes: Int
    /// Bytes of a base64 `image`.
    var imageBytes: Int

    init(_ settings: ServerSettings) {
        messageLength = settings.maxMessageLength
        descriptionLength = settings.maxDescriptionLength
        sessionIDBytes = settings.maxSessionIDLength
        imageBytes = settings.maxImageBytes
    }

    static let userInfoKey = CodingUserInfoKey(rawValue: "tonehost.requestLimits")!
}

/// A request body's fields, read by name with the API's rules: absent or `null` is "not
/// given", a value of the wrong type is refused, unknown fields are ignored, and every problem
/// is a 400 naming the field. Booleans are JSON `true`/`false` only (never `1` or `"yes"`).
/// Of a key given twice, the first value counts.
struct RequestFields {
    private let values: [String: JSONValue]
    let limits: RequestLimits

    private struct Name: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }

    /// The fields of the object `decoder` holds (the body must be a JSON object), every value
    /// checked (`JSONValue`).
    init(_ decoder: any Decoder) throws {
        guard let limits = decoder.userInfo[RequestLimits.userInfoKey] as? RequestLimits else { throw MissingRequestLimits() }
        let container = try decoder.container(keyedBy: Name.self)
        var values: [String: JSONValue] = [:]
        for key in container.allKeys { values[key.stringValue] = try container.decode(JSONValue.self, forKey: key) }
        self.values = values
        self.limits = limits
    }

    func string(_ key: String) throws -> String? {
        switch values[key] {
        case nil, .null?: return nil
        case .string(let s)?: return s
        default: throw APIError(.badRequest, "'\(key)' must be a string")
        }
    }

    /// An optional string of at most `maxLength` characters (Unicode scalars) or `maxBytes` UTF-8 bytes.
    func string(_ key: String, maxLength: Int? = nil, maxBytes: Int? = nil) throws -> String? {
        guard let s = try string(key) else { return nil }
        try Self.check(s, key, maxLength: maxLength, maxBytes: maxBytes)
        return s
    }

    func requiredString(_ key: String, maxLength: Int? = nil, maxBytes: Int? = nil) throws -> String {
        guard let s = try string(key) else { throw APIError(.badRequest, "missing required field '\(key)'") }
        guard !s.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else { throw APIError(.badRequest, "'\(key)' must not be empty") }
        try Self.check(s, key, maxLength: maxLength, maxBytes: maxBytes)
        return s
    }

    /// Counting bytes is O(1) for native strings; scalars are counted only when the bytes exceed the limit.
    private static func check(_ s: String, _ key: String, maxLength: Int?, maxBytes: Int?) throws {
        let bytes = s.utf8.count
        if let maxBytes, bytes > maxBytes {
            throw APIError(.badRequest, "'\(key)' is \(bytes) bytes; the limit is \(maxBytes)")
        }
        if let maxLength, bytes > maxLength {
            let length = s.unicodeScalars.count
            if length > maxLength { throw APIError(.badRequest, "'\(key)' is \(length) characters; the limit is \(maxLength)") }
        }
    }

    /// An optional JSON array (its elements unchecked: the caller reads them).
    func array(_ key: String) throws -> [JSONValue]? {
        switch values[key] {
        case nil, .null?: return nil
        case .array(let a)?: return a
        default: throw APIError(.badRequest, "'\(key)' must be an array")
        }
    }

    /// `default` when absent or `null`.
    func bool(_ key: String, default d: Bool) throws -> Bool {
        try bool(key) ?? d
    }

    func bool(_ key: String) throws -> Bool? {
        switch values[key] {
        case nil, .null?: return nil
        case .bool(let b)?: return b
        default: throw APIError(.badRequest, "'\(key)' must be true or false")
        }
    }
}

/// A body type was decoded without `RequestBody` (a programming error, answered 500).
struct MissingRequestLimits: Error, CustomStringConvertible {
    var description: String { "a request body was decoded without RequestBody's limits" }
}
