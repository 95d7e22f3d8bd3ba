import Foundation
import HTTPTypes
import Hummingbird
import TesseraCore

/// `/`: the front door. Signed out, it is the sign-in form (the same session and throttling as the authorization
/// pages); signed in, the dashboard's home, whose cards are the sections the person's role may use. `/signout`
/// ends the session everywhere.
struct FrontDoorRoutes {
    let services: Services

    func register(on surface: Surface) {
        surface.on("/", .get, .post) { request, context in try await frontDoor(request, context) }
        surface.on("/signout", .post) { request, context in try await signOut(request, context) }
        surface.on("/dashboard", .get) { _, _ in DashboardRequest.redirect("/") }
    }

    private func frontDoor(_ request: Request, _ context: TesseraContext) async throws -> Response {
        let site = try context.requireSite()
        var csrf = Page.csrf(request, services: services)
        let query = Page.fields(try Page.query(request))
        let next = Self.localTarget(query["next"])
        if request.method == .post {
            let form = Page.fields(try await Page.parameters(request))
            guard Page.checkCSRF(request, form: form, site: site) else {
                return signInPage(site: site, csrf: csrf, next: next, username: form["username"], status: .forbidden,
                                  message: "This form has expired. Sign in again.")
            }
            let username = form["username"] ?? ""
            do {
                let (_, session) = try await services.authorize.signIn(site: site, username: username, password: form["password"] ?? "",
                                                                       clientAddress: context.clientAddress)
                var response = DashboardRequest.redirect(Self.localTarget(form["next"]))
                response.setCookie(Page.sessionCookie(session, services: services))
                response.setCookie(csrf.signedIn(session, services: services))
                return response
            } catch let error as ServiceError {
                return signInPage(site: site, csrf: csrf, next: Self.localTarget(form["next"]), username: username,
                                  status: AuthorizeRoutes.signInStatus(error), message: AuthorizeRoutes.signInMessage(error))
            }
        }
        guard let (user, _) = try await services.authorize.session(request.cookies[Page.sessionCookie]?.value, site: site) else {
            return signInPage(site: site, csrf: csrf, next: next, username: nil, status: .ok, message: nil)
        }
        let dashboard = DashboardRequest(caller: Caller(site: site, user: user, kind: .authToken), csrf: csrf, query: [:], form: [:],
                                         clientAddress: context.clientAddress)
        let cards = DashboardSection.all.filter { $0.id != DashboardSection.home.id && $0.visible(to: user) }.map {
            ["id": $0.id, "href": $0.href, "label": $0.label, "summary": $0.summary]
        }
        return dashboard.render(.home, title: "Dashboard", template: "home",
                                model: ["cards": cards, "role": user.roleName, "fullName": user.fullName.isEmpty ? user.username : user.fullName])
    }

    private func signInPage(site: Site, csrf: Page.CSRF, next: String, username: String?, status: HTTPResponse.Status, message: String?) -> Response {
        Page.render(site: site, title: "Sign in", template: "front-signin",
                    model: ["csrf": csrf.token(site: site), "next": next, "username": username ?? "", "message": message.orNull], formsToSelf: true, status: status,
                    cookies: csrf.newCookie.map { [$0] } ?? [])
    }

    private func signOut(_ request: Request, _ context: TesseraContext) async throws -> Response {
        let site = try context.requireSite()
        let form = Page.fields(try await Page.parameters(request))
        guard Page.checkCSRF(request, form: form, site: site) else {
            throw ServiceError.forbidden("This form has expired or did not come from this site. Reload the page and try again.")
        }
        if let (user, session) = try await services.authorize.session(request.cookies[Page.sessionCookie]?.value, site: site) {
            try await services.authorize.signOut(session, site: site)
            services.audit.record(AuditEvent(siteID: site.id, action: "signout", outcome: "success", actorUserID: user.id, tokenID: nil,
                                             clientAddress: context.clientAddress, detail: "dashboard"))
        }
        var response = DashboardRequest.redirect("/")
        response.setCookie(Page.clearedSessionCookie(services: services))
        return response
    }

    /// Where to go after sign-in: a path of this server's dashboard only (never another origin, never `//host`, no
    /// dot segments, no escapes a browser would decode into them), with its query.
    static func localTarget(_ raw: String?) -> String {
        guard let raw, raw.hasPrefix("/dashboard/"), raw.utf8.count <= 200 else { return "/" }
        let parts = raw.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false)
        let path = parts[0].utf8, query = parts.count > 1 ? String(parts[1]) : ""
        let pathIsPlain = path.allSatisfy { ($0 >= 0x30 && $0 <= 0x39) || ($0 >= 0x41 && $0 <= 0x5A) || ($0 >= 0x61 && $0 <= 0x7A) || $0 == 0x2F || $0 == 0x2D || $0 == 0x5F }
        guard pathIsPlain, !raw.contains("//"), query.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7F && $0 != UInt8(ascii: "\\") }) else { return "/" }
        return raw
    }
}
