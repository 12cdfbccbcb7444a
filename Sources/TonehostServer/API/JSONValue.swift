/// One JSON value, decoded completely: every string, number and nested value of a request body
/// is checked as it is read, so a body the original service refused as "not valid JSON" (a
/// number no Double holds, a lone UTF-16 surrogate, bytes that are not UTF-8) is refused even
/// in a field nobody reads. Booleans are only `true`/`false`, never `0`/`1`.
enum JSONValue: Decodable {
    case null
    case bool(Bool)
    case number(Double)
    case string(String)
    case array([JSONValue])
    case object([String: JSONValue])

    init(from decoder: any Decoder) throws {
        let c = try decoder.singleValueContainer()
        if c.decodeNil() {
            self = .null
        } else if let b = try? c.decode(Bool.self) {
            self = .bool(b)
        } else if let n = try? c.decode(Double.self) {
            self = .number(n)
        } else if let s = try? c.decode(String.self) {
            self = .string(s)
        } else if let a = try? c.decode([JSONValue].self) {
            self = .array(a)
        } else if let o = try? c.decode([String: JSONValue].self) {
            self = .object(o)
        } else {
            throw DecodingError.dataCorruptedError(in: c, debugDescription: "not a valid JSON value")
        }
    }
}
