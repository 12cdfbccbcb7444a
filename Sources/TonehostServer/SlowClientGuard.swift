import Hummingbird
import HummingbirdCore
import Logging
import NIOCore
import NIOHTTPTypes

/// Read deadlines per connection, so slow or idle clients cannot hold connections (and memory)
/// for minutes:
/// * **header** — once the first byte of a request arrives, its head must be complete within
///   `headerTimeout` (a client trickling header bytes is cut);
/// * **body** — once the head is in, the body must be complete within `bodyTimeout`;
/// * **idle** — a connection with no request in progress (new, or kept alive after a response)
///   is closed after `idleTimeout`.
/// Writing a response (a long answer stream) is never cut by these. Each close is logged at
/// debug and counted in `tonehost_connections_closed_total{reason}`.
///
/// Two handlers share one `ConnectionDeadlines` per connection: one before the HTTP decoder sees
/// raw bytes (the start of a request), one after it sees request heads and ends and response ends.
struct GuardedHTTP1Channel: ServerChildChannel {
    typealias Value = HTTP1Channel.Value
    let inner: HTTP1Channel
    let limits: ConnectionDeadlines.Limits

    func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<Value> {
        let deadlines = ConnectionDeadlines(limits: limits, logger: logger)
        do {
            try channel.pipeline.syncOperations.addHandler(RawBytesWatcher(deadlines), position: .first)
        } catch {
            return channel.eventLoop.makeFailedFuture(error)
        }
        return inner.setup(channel: channel, logger: logger).flatMapThrowing { value in
            let ops = channel.pipeline.syncOperations
            let state = try ops.handler(type: HTTPConnectionStateHandler.self)
            try ops.addHandler(HTTPPartsWatcher(deadlines), position: .before(state))
            return value
        }
    }

    func handle(value: Value, logger: Logger) async {
        await inner.handle(value: value, logger: logger)
    }
}

extension HTTPServerBuilder {
    /// HTTP/1.1 with the read deadlines of `settings`.
    static func http1(guarded settings: ServerSettings, logger: Logger) -> HTTPServerBuilder {
        let limits = ConnectionDeadlines.Limits(header: settings.headerTimeout, body: settings.bodyTimeout, idle: settings.idleTimeout)
        return .init { responder in
            GuardedHTTP1Channel(inner: HTTP1Channel(responder: responder), limits: limits)
        }
    }
}

/// One connection's phase and its pending deadline. Touched only on the channel's event loop.
final class ConnectionDeadlines: @unchecked Sendable {
    struct Limits: Sendable {
        var header: Duration?
        var body: Duration?
        var idle: Duration?
    }

    enum Phase { case idle, head, body, responding }

    let limits: Limits
    let logger: Logger
    private(set) var phase = Phase.idle
    private var timer: Scheduled<Void>?
    private var responseEnded = false
    private var context: ChannelHandlerContext?

    init(limits: Limits, logger: Logger) {
        self.limits = limits
        self.logger = logger
    }

    func attach(_ context: ChannelHandlerContext) {
        self.context = context
        enter(.idle)
    }

    func detach() {
        timer?.cancel()
        timer = nil
        context = nil
    }

    /// Raw bytes arrived: the start of a request when none is in progress.
    func bytesArrived() {
        if phase == .idle { enter(.head) }
    }

    func requestHead() {
        responseEnded = false
        enter(.body)
    }

    func requestEnd() {
        enter(responseEnded ? .idle : .responding)
    }

    func responseEnd() {
        if phase == .responding {
            enter(.idle)
        } else {
            responseEnded = true  // answered before the body was read (an early 4xx): the body deadline still runs
        }
    }

    private func enter(_ next: Phase) {
        phase = next
        timer?.cancel()
        timer = nil
        let (limit, reason): (Duration?, String)
        switch next {
        case .idle: (limit, reason) = (limits.idle, "idle_timeout")
        case .head: (limit, reason) = (limits.header, "header_timeout")
        case .body: (limit, reason) = (limits.body, "body_timeout")
        case .responding: (limit, reason) = (nil, "")
        }
        guard let limit, let context else { return }
        let nanoseconds = Int64(limit / .nanoseconds(1))
        timer = context.eventLoop.assumeIsolatedUnsafeUnchecked().scheduleTask(in: .nanoseconds(nanoseconds)) { [self] in
            guard let context = self.context else { return }
            self.timer = nil
            TonehostMetrics.shared.connectionsClosed(reason).increment()
            self.logger.debug("closing a slow or idle connection", metadata: ["reason": "\(reason)",
                                                                               "client": "\(context.remoteAddress?.description ?? "?")"])
            context.close(promise: nil)
        }
    }
}

/// First in the pipeline: sees the raw bytes, so it knows when a request starts.
final class RawBytesWatcher: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer
    let deadlines: ConnectionDeadlines

    init(_ deadlines: ConnectionDeadlines) { self.deadlines = deadlines }

    func handlerAdded(context: ChannelHandlerContext) {
        if context.channel.isActive { deadlines.attach(context) }
    }

    func channelActive(context: ChannelHandlerContext) {
        deadlines.attach(context)
        context.fireChannelActive()
    }

    func channelInactive(context: ChannelHandlerContext) {
        deadlines.detach()
        context.fireChannelInactive()
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        deadlines.detach()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        deadlines.bytesArrived()
        context.fireChannelRead(data)
    }
}

/// After the HTTP codec: sees request heads and ends, and response ends.
final class HTTPPartsWatcher: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart
    typealias OutboundIn = HTTPResponsePart
    typealias OutboundOut = HTTPResponsePart
    let deadlines: ConnectionDeadlines

    init(_ deadlines: ConnectionDeadlines) { self.deadlines = deadlines }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head: deadlines.requestHead()
        case .end: deadlines.requestEnd()
        case .body: break
        }
        context.fireChannelRead(data)
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        if case .end = unwrapOutboundIn(data) { deadlines.responseEnd() }
        context.write(data, promise: promise)
    }
}
