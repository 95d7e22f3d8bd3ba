import HTTPTypes
import NIOCore
import NIOHTTPTypes

/// Ends kept-alive connections at shutdown where no request can be on its way.
///
/// At `SIGTERM` the server stops accepting and tells every connection to quiesce; Hummingbird closes an idle one at
/// once. But "idle" is only what this side has seen: a proxy that keeps connections to the server (nginx's upstream
/// `keepalive`) may be sending a request on it at that moment, and closing a socket with unread bytes resets it —
/// the proxy answers 502 and, for a POST, cannot safely retry. So the quiesce event is held for a short grace. Every
/// answer written meanwhile says `Connection: close` (the proxy does not reuse the connection after it); a request
/// that arrives is served and the event passed on with it, so the connection ends after that answer; a connection
/// still open when the grace is over is closed then (a proxy under load reuses each of its connections well within
/// it). Outside shutdown it only forwards: one test of a flag per read and write.
final class KeepAliveDrain: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart
    typealias OutboundIn = HTTPResponsePart
    typealias OutboundOut = HTTPResponsePart

    static let grace = TimeAmount.seconds(2)

    /// Shutting down: answers say `Connection: close`.
    private var quiescing = false
    /// The quiesce event, held until a request arrives or the grace ends.
    private var held: Scheduled<Void>?

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        context.fireChannelRead(data)
        if held != nil, case .head = unwrapInboundIn(data) { passQuiesce(context) }
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        guard quiescing, case .head(var response) = unwrapOutboundIn(data) else { return context.write(data, promise: promise) }
        response.headerFields[.connection] = "close"
        context.write(wrapOutboundOut(.head(response)), promise: promise)
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        guard event is ChannelShouldQuiesceEvent, !quiescing else { return context.fireUserInboundEventTriggered(event) }
        quiescing = true
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
