import HTTPTypes
import Hummingbird
import TesseraCore

/// Sets the client's address: the peer's, or — only when the peer is a trusted proxy — the one its `Forwarded` or
/// `X-Forwarded-For` header names. Installed only when trusted proxies are configured (else the peer it is).
struct ClientAddressMiddleware: RouterMiddleware {
    let proxies: TrustedProxies
    static let forwarded = HTTPField.Name("Forwarded")!
    static let xForwardedFor = HTTPField.Name("X-Forwarded-For")!

    func handle(_ request: Request, context: TesseraContext, next: (Request, TesseraContext) async throws -> Response) async throws -> Response {
        var context = context
        context.clientAddress = proxies.clientAddress(peer: context.clientAddress, forwarded: request.headers[Self.forwarded],
                                                      xForwardedFor: request.headers[Self.xForwardedFor])
        return try await next(request, context)
    }
}
