import Foundation
import Hummingbird

/// The response encoder of the API (`TonehostRequestContext.responseEncoder`): keys sorted,
/// slashes unescaped, `Content-Type: application/json` — the bytes every client of the
/// original service reads. A body type's wire keys are its property names in snake_case
/// (`ragInitialized` → `rag_initialized`, `sessionID` → `session_id`); only a key that is not
/// (`sessionid`, `time_ms`) is spelled in a `CodingKeys`. A dictionary's keys are data (plugin
/// names) and pass through unchanged.
public struct ContractJSONEncoder: ResponseEncoder {
    public func encode(_ value: some Encodable, from request: Request, context: some RequestContext) throws -> Response {
        let data = try Self.encoder().encode(value)
        return Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }

    /// The configured JSONEncoder (also for the JSON inside server-sent events).
    static func encoder() -> JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        encoder.keyEncodingStrategy = .convertToSnakeCase
        return encoder
    }
}
