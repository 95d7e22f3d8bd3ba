import Hummingbird
import TesseraCore

/// Answers CORS preflights (OPTIONS with Origin and Access-Control-Request-Method) of Expert's API for origins that
/// some browser token of the site allows.
struct BrowserTokenPreflightMiddleware: RouterMiddleware {
    let credentials: CredentialService

    func handle(_ request: Request, context: TesseraContext, next: (Request, TesseraContext) async throws -> Response) async throws -> Response {
        guard request.method == .options, let origin = request.headers[.origin], request.headers[.accessControlRequestMethod] != nil else {
            return try await next(request, context)
        }
        let site = try context.requireSite()
        guard origin.utf8.count <= 512, try await credentials.anyBrowserTokenAllows(origin: origin, site: site) else {
            return Response(status: .noContent, headers: [.vary: "Origin"])
        }
        return Response(status: .noContent, headers: CORS.preflightHeaders(origin: origin))
    }
}
