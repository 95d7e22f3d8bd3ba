import Foundation
import HTTPTypes
import Hummingbird
import TesseraCore
import TesseraCrypto

/// The authorization endpoints and their pages: CXone's `/auth/authorize` (OpenID Connect) and
/// `/auth/authorize/logout`, Expert's `/@app/auth/{authId}/token/authorize`, and the device-flow page where a
/// person enters a user code. Every page works without JavaScript and refuses to be framed.
struct AuthorizeRoutes {
    let services: Services

    func register(on surface: Surface) {
        surface.on("/auth/authorize", .get, .post) { request, context in try await authorize(request, context, flow: .openID) }
        surface.on("/auth/authorize/logout", .get, .post) { request, context in try await logout(request, context) }
        surface.on("/@app/auth/:authId/token/authorize", .get, .post) { request, context in
            try Self.checkAuthID(context)
            return try await authorize(request, context, flow: .expert)
        }
        surface.on("/@app/auth/:authId/token/device", .get, .post) { request, context in
            try Self.checkAuthID(context)
            return try await device(request, context)
        }
    }

    /// `1` is the built-in sign-in, the only identity provider these endpoints serve.
    static func checkAuthID(_ context: TesseraContext) throws {
        guard context.parameters.get("authId") == "1" else { throw ServiceError.notFound("no identity provider with that id: use 1") }
    }

    // MARK: Authorize

    private func authorize(_ request: Request, _ context: TesseraContext, flow: AuthorizationRequest.Flow) async throws -> Response {
        let site = try context.requireSite()
        let pairs: [(String, String)]
        do { pairs = try await Page.parameters(request) } catch let error as ServiceError {
            return Page.error(site: site, message: error.message)
        }
        let validated: Result<AuthorizationRequest, RedirectError>
        do { validated = try await services.authorize.validate(pairs, flow: flow, site: site) } catch let error as AuthorizePageError {
            return Page.error(site: site, message: error.message)
        }
        let authRequest: AuthorizationRequest
        switch validated {
        case .failure(let error): return redirect(error.location)
        case .success(let valid): authRequest = valid
        }
        let form = Page.fields(pairs)
        var csrf = Page.csrf(request, services: services)
        var session = try await services.authorize.session(request.cookies[Page.sessionCookie]?.value, site: site)
        var cookies: [Cookie] = []
        var freshSignIn = false

        if request.method == .post, let step = form["step"] {
            guard Page.checkCSRF(request, form: form, site: site) else {
                return Page.error(site: site, message: "This form has expired. Go back to the application and start again.", status: .forbidden)
            }
            switch step {
            case "signin":
                let username = form["username"] ?? ""
                do {
                    let (user, started) = try await services.authorize.signIn(site: site, username: username, password: form["password"] ?? "",
                                                                            clientAddress: context.clientAddress)
                    session = (user, started)
                    cookies += [Page.sessionCookie(started, services: services), csrf.signedIn(started, services: services)]
                    freshSignIn = true
                } catch let error as ServiceError {
                    return signInPage(authRequest, site: site, csrf: csrf, username: username, message: Self.signInMessage(error),
                                      status: Self.signInStatus(error))
                }
            case "consent":
                guard let (user, current) = session else {
                    return signInPage(authRequest, site: site, csrf: csrf, username: nil, message: "Your sign-in has expired. Sign in again.",
                                      status: .ok)
                }
                let location = try await services.authorize.consent(authRequest, user: user, session: current, allow: form["decision"] == "allow",
                                                                    site: site, clientAddress: context.clientAddress)
                return redirect(location)
            default:
                return Page.error(site: site, message: "Unknown form step.")
            }
        }

        switch try await services.authorize.decide(authRequest, session: session, freshSignIn: freshSignIn, site: site) {
        case .redirect(let location):
            return redirect(location, cookies: cookies)
        case .signIn(let request, let message, _):
            return signInPage(request, site: site, csrf: csrf, username: nil, message: message, status: .ok)
        case .consent(let request, let user):
            return consentPage(request, user: user, site: site, csrf: csrf, cookies: cookies)
        }
    }

    static func signInMessage(_ error: ServiceError) -> String {
        switch error {
        case .throttled(let seconds): "Too many sign-in attempts. Try again in \(seconds) seconds."
        case .forbidden: "This account cannot sign in."
        case .unavailable: "The server is busy. Try again in a moment."
        default: "The username or password is incorrect."
        }
    }

    static func signInStatus(_ error: ServiceError) -> HTTPResponse.Status {
        switch error {
        case .throttled: .tooManyRequests
        case .unavailable: .serviceUnavailable
        default: .unauthorized
        }
    }

    private func redirect(_ location: String, cookies: [Cookie] = []) -> Response {
        var response = Response(status: .found, headers: [.location: location, .cacheControl: "no-store", HTTPField.Name("Referrer-Policy")!: "no-referrer"])
        for cookie in cookies { response.setCookie(cookie) }
        return response
    }

    /// The request's parameters as hidden fields; `prompt=login` is dropped once the user has signed in, so the
    /// consent form does not ask again.
    private func carried(_ request: AuthorizationRequest, dropLoginPrompt: Bool) -> [[String: String]] {
        request.parameters.map { name, value in
            if dropLoginPrompt, name == "prompt" {
                return ["name": name, "value": value.split(separator: " ").filter { $0 != "login" }.joined(separator: " ")]
            }
            return ["name": name, "value": value]
        }
    }

    private func signInPage(_ request: AuthorizationRequest, site: Site, csrf: Page.CSRF, username: String?, message: String?,
                            status: HTTPResponse.Status) -> Response {
        let model: [String: Any] = [
            "clientName": request.client.name, "message": message.orNull, "carried": carried(request, dropLoginPrompt: false),
            "csrf": csrf.token(site: site), "username": username ?? request.loginHint ?? "",
        ]
        return Page.render(site: site, title: "Sign in", template: "authorize-signin", model: model, status: status,
                           cookies: csrf.newCookie.map { [$0] } ?? [])
    }

    /// What each scope lets the application do, in plain words, for the consent page.
    static func consentLine(_ scope: String) -> [String: String] {
        switch scope {
        case Scope.openid: ["text": "know who you are (your name, e-mail and tenant)"]
        case Scope.profile: ["text": "read and write your account data and view private content"]
        case Scope.seated: ["text": "use your seat (Pro member access)"]
        case Scope.admin:
            ["id": "admin-scope", "strong": "administer this site as you",
             "text": ": create and delete developer tokens and access keys, change users and their roles, approve applications and read the "
                + "audit trail — everything your administrator role allows"]
        default: ["text": "call the ", "code": scope]
        }
    }

    private func consentPage(_ request: AuthorizationRequest, user: User, site: Site, csrf: Page.CSRF, cookies: [Cookie]) -> Response {
        let scopes = request.scope.split(separator: " ").map(String.init)
        let adminOnly = scopes.contains(Scope.admin) && !user.role.allows(.admin)
        let model: [String: Any] = [
            "username": user.username, "clientName": request.client.name, "adminOnly": adminOnly, "scopes": scopes.map(Self.consentLine),
            "carried": carried(request, dropLoginPrompt: true), "csrf": csrf.token(site: site),
        ]
        return Page.render(site: site, title: adminOnly ? "Administrative access" : "Allow access?", template: "authorize-consent", model: model,
                           cookies: cookies + (csrf.newCookie.map { [$0] } ?? []))
    }

    // MARK: Logout

    /// The parameters of RP-Initiated Logout that the confirmation form carries back.
    static let logoutParameters = ["id_token_hint", "client_id", "post_logout_redirect_uri", "state"]

    /// Ends the sign-in session (revoked at once, with the tokens issued in it; cookie cleared). With a
    /// post_logout_redirect_uri registered for the client the id_token_hint (or client_id) names, the browser goes
    /// back there with `state`; otherwise a page. A signed-in person is asked first (OpenID Connect RP-Initiated
    /// Logout §2) unless the id_token_hint names them: any page could otherwise sign them out, and end every
    /// application's tokens of that sign-in, with a link. The answer is a form with a CSRF token.
    private func logout(_ request: Request, _ context: TesseraContext) async throws -> Response {
        let site = try context.requireSite()
        let pairs: [(String, String)]
        do { pairs = try await Page.parameters(request) } catch let error as ServiceError {
            return Page.error(site: site, message: error.message)
        }
        let form = Page.fields(pairs)
        var target: String?
        if let uri = form["post_logout_redirect_uri"] {
            guard RedirectTarget.isClean(uri) else {
                return Page.error(site: site, message: "The post_logout_redirect_uri holds characters a redirect may not.")
            }
            var clientID = form["client_id"]
            if let hint = form["id_token_hint"] {
                guard await services.cxoneTokens.idTokenHint(hint, site: site) != nil, let audience = services.cxoneTokens.idTokenAudience(hint) else {
                    return Page.error(site: site, message: "The id_token_hint is not an id_token of this issuer.")
                }
                if let clientID, clientID != audience { return Page.error(site: site, message: "client_id differs from the id_token_hint's audience.") }
                clientID = audience
            }
            guard let clientID, let client = try await services.clients.client(id: clientID, site: site, accepting: .applications)?.application,
                  RedirectTarget.isListed(uri, in: client.logoutURIs) else {
                return Page.error(site: site, message: "The post_logout_redirect_uri is not registered for this application.")
            }
            target = form["state"].map { AuthorizeService.appendingQuery(to: uri, [("state", $0)]) } ?? uri
        }
        if let (user, session) = try await services.authorize.session(request.cookies[Page.sessionCookie]?.value, site: site) {
            let confirmed = request.method == .post && Page.checkCSRF(request, form: form, site: site)
            var hinted = false
            if let hint = form["id_token_hint"] { hinted = await services.cxoneTokens.idTokenHint(hint, site: site) == user.guid }
            guard confirmed || hinted else {
                let csrf = Page.csrf(request, services: services)
                let carried = Self.logoutParameters.compactMap { name in form[name].map { ["name": name, "value": $0] } }
                return Page.render(site: site, title: "Sign out", template: "signout-confirm",
                                   model: ["username": user.username, "csrf": csrf.token(site: site), "carried": carried],
                                   cookies: csrf.newCookie.map { [$0] } ?? [])
            }
            try await services.authorize.signOut(session, site: site)
            services.audit.record(AuditEvent(siteID: site.id, action: "signout", outcome: "success", actorUserID: user.id, tokenID: nil,
                                             clientAddress: context.clientAddress, detail: "end session"))
        }
        let cleared = Page.clearedSessionCookie(services: services)
        if let target { return redirect(target, cookies: [cleared]) }
        return Page.render(site: site, title: "Signed out", template: "signed-out", cookies: [cleared])
    }

    // MARK: Device flow page

    /// Where a person enters the user code a device shows, signs in if needed, and approves or denies.
    private func device(_ request: Request, _ context: TesseraContext) async throws -> Response {
        let site = try context.requireSite()
        let pairs: [(String, String)]
        do { pairs = try await Page.parameters(request) } catch let error as ServiceError {
            return Page.error(site: site, message: error.message)
        }
        let form = Page.fields(pairs)
        var csrf = Page.csrf(request, services: services)
        var session = try await services.authorize.session(request.cookies[Page.sessionCookie]?.value, site: site)
        var cookies = csrf.newCookie.map { [$0] } ?? []
        let code = form["user_code"] ?? ""
        var message: String?

        if request.method == .post, let step = form["step"] {
            guard Page.checkCSRF(request, form: form, site: site) else {
                return Page.error(site: site, message: "This form has expired. Reload the page and try again.", status: .forbidden)
            }
            if step == "signin" {
                do {
                    let (user, started) = try await services.authorize.signIn(site: site, username: form["username"] ?? "", password: form["password"] ?? "",
                                                                            clientAddress: context.clientAddress)
                    session = (user, started)
                    cookies = [Page.sessionCookie(started, services: services), csrf.signedIn(started, services: services)]
                } catch let error as ServiceError {
                    return devicePage(site: site, csrf: csrf, code: code, session: nil, message: Self.signInMessage(error), status: Self.signInStatus(error),
                                      cookies: cookies)
                }
            } else if step == "decide", let (user, _) = session {
                let approve = form["decision"] == "allow"
                do {
                    guard try await services.deviceFlow.decide(userCode: code, user: user, approve: approve, site: site, clientAddress: context.clientAddress)
                    else {
                        return devicePage(site: site, csrf: csrf, code: "", session: session, message: "That code is unknown or has expired.",
                                          status: .badRequest, cookies: cookies)
                    }
                } catch ServiceError.throttled(let seconds) {
                    return devicePage(site: site, csrf: csrf, code: "", session: session, message: Self.tooManyCodes(seconds), status: .tooManyRequests,
                                      cookies: cookies)
                } catch let error as ServiceError {
                    return devicePage(site: site, csrf: csrf, code: "", session: session, message: error.message, status: .forbidden, cookies: cookies)
                }
                let text = approve ? "Device approved. You can return to your device." : "Request denied."
                return Page.render(site: site, title: "Done", template: "done", model: ["text": text], cookies: cookies)
            }
        }
        if !code.isEmpty {
            let found: Bool
            do { found = try await services.deviceFlow.pending(userCode: code, site: site, clientAddress: context.clientAddress) != nil } catch ServiceError.throttled(let seconds) {
                return devicePage(site: site, csrf: csrf, code: "", session: session, message: Self.tooManyCodes(seconds), status: .tooManyRequests,
                                  cookies: cookies)
            }
            if !found {
                return devicePage(site: site, csrf: csrf, code: "", session: session, message: "That code is unknown or has expired.",
                                  status: .badRequest, cookies: cookies)
            }
        }
        return devicePage(site: site, csrf: csrf, code: code, session: session, message: message, status: .ok, cookies: cookies)
    }

    static func tooManyCodes(_ seconds: Int) -> String {
        "Too many unknown codes were entered from this address. Try again in \(seconds) seconds."
    }

    private func devicePage(site: Site, csrf: Page.CSRF, code: String, session: (user: User, session: SignInSession)?, message: String?,
                            status: HTTPResponse.Status, cookies: [Cookie]) -> Response {
        let model: [String: Any] = ["username": (session?.user.username).orNull, "message": message.orNull, "csrf": csrf.token(site: site), "code": code]
        return Page.render(site: site, title: "Connect a device", template: "device", model: model, status: status, cookies: cookies)
    }
}
