import Foundation
import Hummingbird

/// The response encoder of the API (`TonehostRequestContext.responseEncoder`): keys sorted,
/// slashes unescaped, `Content-Type: application/json` — the bytes every client of the
/// original service reads.
public struct ContractJSONEncoder: ResponseEncoder {
    public func encode(_ value: some Encodable, from request: Request, context: some RequestContext) throws -> Response {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let data = try encoder.encode(value)
        return Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }
}
