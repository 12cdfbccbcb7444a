import Hummingbird

/// An error answered as `{"error": message}` with its status (and any headers, such as
/// `Retry-After`). Hummingbird renders it through the request context's response encoder.
struct APIError: Error, HTTPResponseError {
    let status: HTTPResponse.Status
    let message: String
    var headers: HTTPFields

    init(_ status: HTTPResponse.Status, _ message: String, headers: HTTPFields = [:]) {
        self.status = status
        self.message = message
        self.headers = headers
    }

    func response(from request: Request, context: some RequestContext) throws -> Response {
        var response = try context.responseEncoder.encode(ErrorBody(error: message), from: request, context: context)
        response.status = status
        response.headers.append(contentsOf: headers)
        return response
    }
}

extension APIError {
    /// The answer to an error another layer threw: the router's 404 (`no route for …`), a body
    /// over the limit (413), Hummingbird's other `HTTPError`s with their message. Nil for an
    /// error the API does not expect, which is answered 500 `internal error` and logged.
    init?(answering error: any Error, to request: Request, maxUploadSize: Int) {
        switch error {
        case let error as APIError:
            self = error
        case let error as any HTTPResponseError where error.status == .contentTooLarge:
            self.init(.contentTooLarge, "request body is larger than \(maxUploadSize) bytes")
        case let error as HTTPError where error.status == .notFound:
            self.init(.notFound, "no route for \(request.method) \(request.uri.path)")
        case let error as HTTPError:
            self.init(error.status, error.body ?? error.status.reasonPhrase)
        default:
            return nil
        }
    }

    static let internalError = APIError(.internalServerError, "internal error")
}

/// `{"error": "..."}`: the body of every error answer.
struct ErrorBody: ResponseEncodable {
    var error: String
}
