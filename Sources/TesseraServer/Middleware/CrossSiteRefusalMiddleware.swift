import HTTPTypes
import Hummingbird
import TesseraCore

/// Guards the endpoints that set a session cookie from what a request brings (`users/authenticate`, Expert's
/// identity token exchange): a browser on another site must not be able to sign its user in behind their back
/// (login CSRF). A browser request is refused when it says it is cross-site (`Sec-Fetch-Site: cross-site`) or its
/// Origin is neither this site, nor an origin an application registered, nor one a browser token of the site
/// admits. Requests without these headers (servers, scripts) pass.
struct CrossSiteRefusalMiddleware: RouterMiddleware {
    let services: Services
    static let secFetchSite = HTTPField.Name("Sec-Fetch-Site")!

    func handle(_ request: Request, context: TesseraContext, next: (Request, TesseraContext) async throws -> Response) async throws -> Response {
        if request.headers[Self.secFetchSite]?.lowercased() == "cross-site" {
            throw ServiceError.forbidden("a sign-in from another site's page is refused")
        }
        if let origin = request.headers[.origin] {
            let site = try context.requireSite()
            guard origin.utf8.count <= 512, let parsed = Origin.parse(origin) else {
                throw ServiceError.forbidden("a sign-in from an opaque or malformed origin is refused")
            }
            var trusted = SameOrigin.holds(parsed, request: request, site: site, settings: services.settings)
            if !trusted { trusted = try await services.directory.isRegisteredOrigin(origin) }
            if !trusted { trusted = try await services.credentials.anyBrowserTokenAllows(origin: origin, site: site) }
            guard trusted else { throw ServiceError.forbidden("a sign-in from \(origin.prefix(200)) is refused: it is not this site") }
        }
        return try await next(request, context)
    }
}
