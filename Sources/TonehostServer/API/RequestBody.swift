import Foundation
import Hummingbird

/// The API's one request decoder (`TonehostRequestContext.requestDecoder`): the body is read
/// within the configured size (413 above it, 400 when its framing is broken), must be a JSON
/// object, and is decoded by the body type's `init(from:)` with `RequestFields`, which names
/// the field in every 400. Routes call `request.decodeBody(_:context:limits:)`.
public struct RequestBody: RequestDecoder {
    /// The caps of the running settings, handed to `RequestFields`.
    var limits: RequestLimits

    public func decode<T: Decodable>(_ type: T.Type, from request: Request, context: some RequestContext) async throws -> T {
        let buffer: ByteBuffer
        do {
            buffer = try await request.body.collect(upTo: context.maxUploadSize)
        } catch let error as any HTTPResponseError where error.status == .contentTooLarge {
            throw APIError(.contentTooLarge, "request body is larger than \(context.maxUploadSize) bytes")
        } catch {
            // The body's framing is broken (a bad chunk size, an unknown Transfer-Encoding, a
            // body shorter than its Content-Length): the client's fault, answered 400.
            throw APIError(.badRequest, "request body could not be read: \(error) (malformed HTTP framing)")
        }
        guard buffer.readableBytes > 0 else { throw APIError(.badRequest, "request body is empty; expected a JSON object") }
        let decoder = JSONDecoder()
        decoder.userInfo[RequestLimits.userInfoKey] = limits
        do {
            return try decoder.decode(T.self, from: Data(buffer.readableBytesView))
        } catch let error as APIError {
            throw error
        } catch let error as MissingRequestLimits {
            throw error
        } catch DecodingError.typeMismatch(_, let at) where at.codingPath.isEmpty {
            throw APIError(.badRequest, "request body must be a JSON object")
        } catch DecodingError.valueNotFound(_, let at) where at.codingPath.isEmpty {
            throw APIError(.badRequest, "request body must be a JSON object")  // `null`
        } catch {
            // Broken syntax, or a value JSONValue could not read (the parser's own errors for
            // these are not always DecodingErrors).
            throw APIError(.badRequest, "request body is not valid JSON")
        }
    }
}

extension Request {
    /// The body as `Body`, decoded by the context's `RequestBody` within `limits`.
    func decodeBody<Body: Decodable>(_ type: Body.Type, context: TonehostRequestContext, limits: RequestLimits) async throws -> Body {
        var context = context
        context.requestLimits = limits
        return try await decode(as: type, context: context)
    }
}
