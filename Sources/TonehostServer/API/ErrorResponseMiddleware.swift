import Hummingbird

/// Turns a thrown error into its answer (`APIError`) right here, inside the request-id,
/// metrics and CORS middlewares: Hummingbird itself renders an `HTTPResponseError` only after
/// every router middleware has seen it thrown, so an error answer would lose `X-Request-ID` and
/// its CORS headers and leave the latency histogram. An error nobody expected is logged and
/// answered 500 `internal error`.
struct ErrorResponseMiddleware: RouterMiddleware {
    typealias Context = TonehostRequestContext

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch {
            guard let answer = APIError(answering: error, to: request, maxUploadSize: context.maxUploadSize) else {
                context.logger.error("request failed", metadata: ["error": "\(error)"])
                return try APIError.internalError.response(from: request, context: context)
            }
            return try answer.response(from: request, context: context)
        }
    }
}
