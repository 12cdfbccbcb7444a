import Hummingbird
import Logging
import NIOCore

/// The request context of the API: the configured body limit, the request id, and the API's
/// one request decoder and response encoder.
public struct TonehostRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    public var maxUploadSize: Int
    /// Set by RequestIDMiddleware; also on every log line of the request and in `X-Request-ID`.
    public var requestID = ""

    /// The client's IP address (per-IP rate limits), "unknown" when the channel has none.
    public var clientAddress: String

    /// The caps `requestDecoder` checks fields against; `Request.decodeBody` sets the running ones.
    public var requestLimits = TonehostRequestContext.defaultLimits

    public init(source: Source) {
        coreContext = .init(source: source)
        clientAddress = source.channel.remoteAddress?.ipAddress ?? "unknown"
        maxUploadSize = ServerSettings.defaults.maxBodyBytes  // the API's BodyLimitMiddleware sets the configured one
    }

    /// Built once: every request context starts from them.
    static let defaultLimits = RequestLimits(ServerSettings.defaults)

    public var requestDecoder: RequestBody { RequestBody(limits: requestLimits) }
    public var responseEncoder: ContractJSONEncoder { ContractJSONEncoder() }
}

/// Gives each request the configured body limit (`max_body_bytes`, from the runtime's
/// settings — no process-wide value to set at start-up).
struct BodyLimitMiddleware: RouterMiddleware {
    let runtime: HostRuntime

    func handle(_ request: Request, context: TonehostRequestContext,
                next: (Request, TonehostRequestContext) async throws -> Response) async throws -> Response {
        var context = context
        context.maxUploadSize = runtime.settings.maxBodyBytes
        return try await next(request, context)
    }
}
