import Foundation
import HTTPTypes
import Hummingbird
import TesseraCore

/// The dashboard's "signed in" requirement: the sign-in session cookie (the one the authorization pages set) names
/// the caller, who then acts first-hand with their role. Without a current session a page sends the browser to the
/// front door, which brings it back after sign-in.
struct DashboardSessionMiddleware: RouterMiddleware {
    let services: Services

    func handle(_ request: Request, context: TesseraContext, next: (Request, TesseraContext) async throws -> Response) async throws -> Response {
        let site = try context.requireSite()
        guard let (user, _) = try await services.authorize.session(request.cookies[Page.sessionCookie]?.value, site: site) else {
            let back = request.method == .get ? "/?next=" + (request.uri.path.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "") : "/"
            return Response(status: .seeOther, headers: [.location: back, .cacheControl: "no-store"])
        }
        var context = context
        context.caller = Caller(site: site, user: user, kind: .authToken)
        return try await next(request, context)
    }
}
