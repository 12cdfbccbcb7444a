import Foundation
import Hummingbird
import Logging

/// One logfmt line per request at info, when the response body is written out (a stream's
/// line comes at its end): `msg=access method=POST route=/api/rag-llm/query status=200
/// bytes=812 duration_ms=41.2 tone=elder_friendly request=ab12cd34`. The route is the router's
/// pattern (`/api/rag-llm/sessions/{id}/history`, `NotFound`), never the question or the raw path.
/// `access_log = false` turns it off.
struct AccessLogMiddleware: RouterMiddleware {
    typealias Context = TonehostRequestContext
    let runtime: HostRuntime

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard runtime.settings.accessLog else { return try await next(request, context) }
        let started = ContinuousClock.now
        let logger = context.logger
        @Sendable func log(status: Int, bytes: Int, tone: String?) {
            let elapsed = (ContinuousClock.now - started) / .microseconds(1)
            var metadata: Logger.Metadata = [
                "method": .string(request.method.rawValue),
                "route": .string(context.endpointPath ?? "NotFound"),
                "status": .stringConvertible(status),
                "bytes": .stringConvertible(bytes),
                "duration_ms": .string(String(format: "%.1f", elapsed / 1000)),
            ]
            if let tone { metadata["tone"] = .string(tone) }
            logger.info("access", metadata: metadata)
        }
        var response: Response
        do {
            response = try await next(request, context)
        } catch {
            let status = (error as? any HTTPResponseError)?.status.code ?? 500
            log(status: status, bytes: 0, tone: nil)
            throw error
        }
        let status = response.status.code
        let tone = response.headers[.init("X-Tone")!]
        let body = response.body
        let counted = ByteCount()
        response.body = ResponseBody(contentLength: body.contentLength) { writer in
            do {
                try await body.map { buffer in
                    counted.add(buffer.readableBytes)
                    return buffer
                }.write(writer)
            } catch {
                log(status: status, bytes: counted.value, tone: tone)
                throw error
            }
            log(status: status, bytes: counted.value, tone: tone)
        }
        return response
    }

    /// Bytes of one response body; its writes come one after another, from one task.
    final class ByteCount: @unchecked Sendable {
        private(set) var value = 0
        func add(_ n: Int) { value += n }
    }
}
