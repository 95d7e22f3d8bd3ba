import HTTPTypes
import NIOCore
import NIOHTTPTypes

/// Ends kept-alive connections at shutdown where no request can be on its way.
///
/// At `SIGTERM` the server stops accepting and tells every connection to quiesce; Hummingbird closes an idle one at
/// once. But "idle" is only what this side has seen: a proxy that keeps connections to the server (nginx's upstream
/// `keepalive`) may be sending a request on it at that moment, and closing a socket with unread bytes resets it —
/// the proxy answers 502 and, for a POST, cannot safely retry. So an idle connection is left open for a short grace:
/// its next request is served with `Connection: close` (the proxy does not reuse it) and the connection ends after
/// that answer; one still idle when the grace is over is closed then (a proxy under load reuses each of its
/// connections well within it).
final class KeepAliveDrain: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart
    typealias OutboundIn = HTTPResponsePart
    typealias OutboundOut = HTTPResponsePart

    static let grace = TimeAmount.seconds(2)

    /// Requests read whose answer has not been written to the end.
    private var inProgress = 0
    /// Quiescing: the next answer says `Connection: close`, and the event is passed on with it.
    private var quiescing = false
    private var held: Scheduled<Void>?

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        if case .head = unwrapInboundIn(data) { inProgress += 1 }
        context.fireChannelRead(data)
        // A request arrived during the grace: it is in progress now, so the connection ends after its answer.
        if quiescing, held != nil { passQuiesce(context) }
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        switch unwrapOutboundIn(data) {
        case .head(var response) where quiescing:
            response.headerFields[.connection] = "close"
            context.write(wrapOutboundOut(.head(response)), promise: promise)
        case .end:
            inProgress -= 1
            context.write(data, promise: promise)
        default:
            context.write(data, promise: promise)
        }
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        guard event is ChannelShouldQuiesceEvent, !quiescing else { return context.fireUserInboundEventTriggered(event) }
        quiescing = true
        // Answering a request: that answer closes the connection (Hummingbird ends it after the answer).
        guard inProgress == 0 else { return context.fireUserInboundEventTriggered(event) }
        held = context.eventLoop.assumeIsolatedUnsafeUnchecked().scheduleTask(in: Self.grace) { [self] in
            held = nil
            context.fireUserInboundEventTriggered(ChannelShouldQuiesceEvent())
        }
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        held?.cancel()
        held = nil
    }

    private func passQuiesce(_ context: ChannelHandlerContext) {
        held?.cancel()
        held = nil
        context.fireUserInboundEventTriggered(ChannelShouldQuiesceEvent())
    }
}
