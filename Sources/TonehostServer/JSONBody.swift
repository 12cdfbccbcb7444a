import Foundation
import Hummingbird

/// A request's JSON object with typed, validating accessors: every problem becomes a 400 with
/// a message naming the field.
struct JSONBody {
    let object: [String: Any]

    static func read(_ request: Request, context: TonehostRequestContext) async throws -> JSONBody {
        let buffer: ByteBuffer
        do {
            buffer = try await request.body.collect(upTo: context.maxUploadSize)
        } catch let error as HTTPResponseError where error.status == .contentTooLarge {
            throw APIError(.contentTooLarge, "request body is larger than \(context.maxUploadSize) bytes")
        } catch {
            // The body's framing is broken (a bad chunk size, an unknown Transfer-Encoding, a
            // body shorter than its Content-Length): the client's fault, answered 400.
            throw APIError(.badRequest, "request body could not be read: \(error) (malformed HTTP framing)")
        }
        guard buffer.readableBytes > 0 else { throw APIError(.badRequest, "request body is empty; expected a JSON object") }
        let parsed: Any
        do {
            parsed = try JSONSerialization.jsonObject(with: Data(buffer.readableBytesView), options: [.fragmentsAllowed])
        } catch {
            throw APIError(.badRequest, "request body is not valid JSON")
        }
        guard let object = parsed as? [String: Any] else { throw APIError(.badRequest, "request body must be a JSON object") }
        return JSONBody(object: object)
    }

    func string(_ key: String) throws -> String? {
        guard let v = object[key], !(v is NSNull) else { return nil }
        guard let s = v as? String else { throw APIError(.badRequest, "'\(key)' must be a string") }
        return s
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

    func bool(_ key: String, default d: Bool) throws -> Bool {
        guard let v = object[key], !(v is NSNull) else { return d }
        // JSONSerialization gives NSNumber for booleans and numbers alike; booleans have objCType "c".
        if let n = v as? NSNumber, String(cString: n.objCType) == "c" { return n.boolValue }
        throw APIError(.badRequest, "'\(key)' must be true or false")
    }
}

/// An error answered as `{"error": message}` with its status.
struct APIError: Error {
    let status: HTTPResponse.Status
    let message: String
    init(_ status: HTTPResponse.Status, _ message: String) {
        self.status = status
        self.message = message
    }
}
