import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL

/// Reads an identity provider's JWKS (or an application's `jwksEndpoint`) over HTTP(S): one GET, 200 only, at most
/// 256 KiB read (the connection is closed the moment a response says or shows it is longer), five seconds to
/// connect and ten for the whole exchange, no redirects followed, the system's trust roots for `https`, straight to
/// the host (no proxy from the environment).
///
/// A small client on NIO, which the server already runs on, rather than Foundation's URLSession: URLSession reads a
/// whole body before it can be measured, and on Linux it loads libcurl and its chain of TLS, Kerberos and LDAP
/// libraries into every server process (about 9 MB resident, measured with `benchmarks/idle-rss.sh`).
public enum JWKSFetcher {
    static let maxBytes = 256 * 1024

    struct Failure: Error, CustomStringConvertible {
        var reason: String
        var description: String { reason }
    }

    @Sendable public static func fetch(_ url: String) async throws -> [UInt8] {
        try await fetch(url, tls: { try systemTrustContext.get() })
    }

    /// One GET of `url`. `tls` gives the context for an `https` URL (only called for one).
    static func fetch(_ url: String, tls: () throws -> NIOSSLContext, maxBytes: Int = maxBytes,
                      connectTimeout: TimeAmount = .seconds(5), deadline: TimeAmount = .seconds(10)) async throws -> [UInt8] {
        let target = try Target(url)
        let context = target.secure ? try tls() : nil
        let eventLoop = MultiThreadedEventLoopGroup.singleton.next()
        let answer = eventLoop.makePromise(of: [UInt8].self)
        let bootstrap = ClientBootstrap(group: eventLoop)
            .connectTimeout(connectTimeout)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture(withResultOf: {
                    if let context {
                        // SNI carries a host name only; for an IP address the certificate is checked against the address.
                        let name = target.isIPAddress ? nil : target.host
                        try channel.pipeline.syncOperations.addHandler(NIOSSLClientHandler(context: context, serverHostname: name))
                    }
                    try channel.pipeline.syncOperations.addHTTPClientHandlers()
                    try channel.pipeline.syncOperations.addHandler(ResponseCollector(request: target.requestHead, maxBytes: maxBytes, answer: answer))
                })
            }
        // The deadline counts from before the connection (name resolution and connecting are part of it).
        let timeout = eventLoop.scheduleTask(in: deadline) { answer.fail(Failure(reason: "no answer in time")) }
        defer { timeout.cancel() }
        // Only the answer is awaited, so the deadline ends a connect still under way too; a connection made after
        // the answer failed is closed at once.
        bootstrap.connect(host: target.host, port: target.port).whenComplete { connected in
            switch connected {
            case .failure(let error): answer.fail(error)
            case .success(let channel): answer.futureResult.whenFailure { _ in channel.close(promise: nil) }
            }
        }
        return try await answer.futureResult.get()
    }

    /// Trust roots are read from the system once, at the first `https` fetch (never for a server that does not fetch).
    private static let systemTrustContext = Result { try NIOSSLContext(configuration: .makeClientConfiguration()) }

    /// The parts of an `http(s)` URL a GET needs; anything else (user info, another scheme, no host) is refused.
    struct Target {
        var secure: Bool
        var host: String
        var port: Int
        var requestHead: HTTPRequestHead
        var isIPAddress: Bool

        init(_ url: String) throws {
            guard url.utf8.count <= 2048, let parts = URLComponents(string: url), let scheme = parts.scheme?.lowercased(),
                  scheme == "http" || scheme == "https", parts.user == nil, parts.password == nil,
                  var host = parts.host, !host.isEmpty
            else { throw Failure(reason: "not an http(s) URL") }
            if host.hasPrefix("["), host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
            secure = scheme == "https"
            self.host = host
            port = parts.port ?? (secure ? 443 : 80)
            guard (1...65535).contains(port) else { throw Failure(reason: "not an http(s) URL") }
            isIPAddress = (try? SocketAddress(ipAddress: host, port: 0)) != nil
            let path = parts.percentEncodedPath.isEmpty ? "/" : parts.percentEncodedPath
            let uri = path + (parts.percentEncodedQuery.map { "?" + $0 } ?? "")
            let hostHeader = (host.contains(":") ? "[\(host)]" : host) + (parts.port.map { ":\($0)" } ?? "")
            requestHead = HTTPRequestHead(version: .http1_1, method: .GET, uri: uri,
                                          headers: ["Host": hostHeader, "Accept": "application/json", "Connection": "close",
                                                    "User-Agent": "Tessera"])
        }
    }
}

/// Sends the request once the connection is up, then keeps the body of a 200 answer up to the limit. The answer
/// promise is completed exactly once; any way the exchange ends early (another status, too long, closed, an error)
/// fails it and closes the connection.
private final class ResponseCollector: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPClientResponsePart
    typealias OutboundIn = HTTPClientRequestPart
    typealias OutboundOut = HTTPClientRequestPart

    let request: HTTPRequestHead
    let maxBytes: Int
    let answer: EventLoopPromise<[UInt8]>
    var body: [UInt8] = []
    var finished = false

    init(request: HTTPRequestHead, maxBytes: Int, answer: EventLoopPromise<[UInt8]>) {
        self.request = request
        self.maxBytes = maxBytes
        self.answer = answer
    }

    func channelActive(context: ChannelHandlerContext) {
        context.write(wrapOutboundOut(.head(request)), promise: nil)
        context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
        context.fireChannelActive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard !finished else { return }
        switch unwrapInboundIn(data) {
        case .head(let head):
            guard head.status == .ok else { return finish(context, .failure(JWKSFetcher.Failure(reason: "status \(head.status.code)"))) }
            if let length = head.headers.first(name: "Content-Length").flatMap(Int.init), length > maxBytes {
                finish(context, .failure(JWKSFetcher.Failure(reason: "too large")))
            }
        case .body(var part):
            guard body.count + part.readableBytes <= maxBytes else { return finish(context, .failure(JWKSFetcher.Failure(reason: "too large"))) }
            body += part.readBytes(length: part.readableBytes) ?? []
        case .end:
            finish(context, .success(body))
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        finish(context, .failure(error))
    }

    func channelInactive(context: ChannelHandlerContext) {
        finish(context, .failure(JWKSFetcher.Failure(reason: "closed before the end of the answer")))
        context.fireChannelInactive()
    }

    private func finish(_ context: ChannelHandlerContext, _ result: Result<[UInt8], Error>) {
        guard !finished else { return }
        finished = true
        answer.completeWith(result)
        context.close(promise: nil)
    }
}
