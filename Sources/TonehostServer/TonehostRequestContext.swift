import Hummingbird
import Logging
import NIOCore

/// The request context of the API: the configured body limit and the request id.
public struct TonehostRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    public var maxUploadSize: Int
    /// Set by RequestIDMiddleware; also on every log line of the request and in `X-Request-ID`.
    public var requestID = ""

    /// The client's IP address (per-IP rate limits), "unknown" when the channel has none.
    public var clientAddress: String

    public init(source: Source) {
        coreContext = .init(source: source)
        clientAddress = source.channel.remoteAddress?.ipAddress ?? "unknown"
        maxUploadSize = TonehostRequestContext.bodyLimit.value
    }

    /// Set once at start-up from ServerSettings.maxBodyBytes.
    static let bodyLimit = BodyLimit()

    final class BodyLimit: @unchecked Sendable {
        var value = 1 << 20
    }
}

/// Turns every error into `{"error": "..."}` with the right status: 400 for bad input, 404 for
/// unknown paths, 413 for oversized bodies, 500 (logged) for anything unexpected.
struct JSONErrorMiddleware: RouterMiddleware {
    typealias Context = TonehostRequestContext

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let error as APIError {
            return jsonError(error.status, error.message)
        } catch let error as HTTPResponseError where error.status == .contentTooLarge {
            return jsonError(.contentTooLarge, "request body is larger than \(context.maxUploadSize) bytes")
        } catch let error as HTTPError {
            switch error.status {
            case .notFound:
                return jsonError(.notFound, "no route for \(request.method) \(request.uri.path)")
            case .contentTooLarge:
                return jsonError(.contentTooLarge, "request body is larger than \(context.maxUploadSize) bytes")
            default:
                return jsonError(error.status, error.body ?? error.status.reasonPhrase)
            }
        } catch {
            context.logger.error("request failed", metadata: ["error": "\(error)"])
            return jsonError(.internalServerError, "internal error")
        }
    }
}

func jsonResponse(status: HTTPResponse.Status = .ok, _ object: [String: Any]) -> Response {
    let data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes])) ?? Data("{}".utf8)
    return Response(status: status, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(bytes: data)))
}

/// A typed JSON body (keys sorted, as every body of this API).
func jsonResponse<Body: Encodable>(status: HTTPResponse.Status = .ok, _ body: Body) -> Response {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
    let data = (try? encoder.encode(body)) ?? Data("{}".utf8)
    return Response(status: status, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(bytes: data)))
}

func jsonError(_ status: HTTPResponse.Status, _ message: String) -> Response {
    jsonResponse(status: status, ["error": message])
}

import Foundation
