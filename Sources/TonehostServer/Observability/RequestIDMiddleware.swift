import HTTPTypes
import Hummingbird
import TonehostCore

/// Gives each request an id (the client's `X-Request-ID` when it sends a sane one), puts it on
/// the request's logger and answers it in `X-Request-ID`, so one grep finds a request's lines.
struct RequestIDMiddleware: RouterMiddleware {
    typealias Context = TonehostRequestContext
    static let header = HTTPField.Name("X-Request-ID")!

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var context = context
        let given = request.headers[Self.header].flatMap { id in
            id.count <= 64 && id.allSatisfy { $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" } && !id.isEmpty ? id : nil
        }
        context.requestID = given ?? Pipeline.newRequestID()
        context.logger[metadataKey: "request"] = .string(context.requestID)
        var response = try await next(request, context)
        response.headers[Self.header] = context.requestID
        return response
    }
}
