import HTTPTypes
import Hummingbird
import TesseraCore

/// Resolves the caller through `CallerResolver` (one place, one precedence) for the surface's routes, and adds CORS
/// headers to the answer (error answers included) when a browser token admitted a cross-origin request.
struct CallerMiddleware: RouterMiddleware {
    static let dekiSession = HTTPField.Name("X-Deki-Session")!
    let resolver: CallerResolver
    let surface: CallerResolver.Surface

    func handle(_ request: Request, context: TesseraContext, next: (Request, TesseraContext) async throws -> Response) async throws -> Response {
        var context = context
        let resolved = try await resolver.resolve(request, site: context.requireSite(), clientAddress: context.clientAddress, surface: surface)
        context.caller = resolved.caller
        context.scope = resolved.scope
        var headers: HTTPFields = [:]
        if surface == .deki, let session = resolved.sessionID { headers[CallerMiddleware.dekiSession] = session }
        if let origin = resolved.allowedOrigin { headers.append(contentsOf: CORS.responseHeaders(origin: origin)) }
        guard !headers.isEmpty else { return try await next(request, context) }
        return try await DecoratedError.adding(headers) { try await next(request, context) }
    }
}
