import HTTPTypes
import Hummingbird
import TesseraCore

/// Routes the request to its site by the Host header (default site for an unknown host, 400 for a malformed one).
struct SiteMiddleware: RouterMiddleware {
    let sites: SiteDirectory
    static let hostField = HTTPField.Name("Host")!

    func handle(_ request: Request, context: TesseraContext, next: (Request, TesseraContext) async throws -> Response) async throws -> Response {
        var context = context
        // HTTP/1.1's first Host header arrives as the request's authority; any further one stays among the
        // fields. Two Host headers could disagree about the site, so they are refused (RFC 9112 §3.2).
        if !request.headers[values: Self.hostField].isEmpty { throw ServiceError.invalidInput("more than one Host header") }
        context.site = try await sites.site(forHost: request.head.authority)
        return try await next(request, context)
    }
}
