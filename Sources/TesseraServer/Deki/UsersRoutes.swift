import Foundation
import Hummingbird
import TesseraCore
import TesseraCrypto

/// `/@api/deki/users/...`: sign-in (`users/authenticate`), the current user, and user administration.
package struct UsersRoutes {
    let services: Services

    static let base = "/@api/deki/users"

    /// `users/authenticate` reads its own credentials (Basic, a signature, a legacy token).
    func registerSignIn(on surface: Surface) {
        surface.on(Self.base + "/authenticate", .get, .post) { request, context in try await authenticate(request, context) }
    }

    /// The rest runs as the resolved caller.
    func register(on surface: Surface) {
        surface.on(Self.base + "/current", .get) { request, context in try await current(request, context) }
        surface.on(Self.base, .get) { request, context in try await list(request, context) }
        surface.on(Self.base, .post) { request, context in try await create(request, context) }
        surface.on(Self.base + "/:user", .get) { request, context in try await read(request, context) }
        surface.on(Self.base + "/:user", .put) { request, context in try await update(request, context) }
    }

    private var publicURL: String { services.settings.publicURL }

    // MARK: Sign-in

    /// Sign-in with HTTP Basic, or with a server-token signature (`?x-deki-token=` or the `X-Deki-Token` header).
    /// Answers the auth token as text and sets the `authtoken` cookie; with `redirect=` answers 302 to that
    /// address (which must be on this server: no open redirects).
    private func authenticate(_ request: Request, _ context: TesseraContext) async throws -> Response {
        let site = try context.requireSite()
        let redirect = try request.uri.queryParameters["redirect"].map { try safeRedirect(String($0), site: site) }
        let signIn: AccountService.SignIn
        if let signature = request.uri.queryParameters["x-deki-token"].map(String.init) ?? request.headers[CallerResolver.dekiToken] {
            // A server-token signature becomes a browser session; `=username` is created just in time.
            let (user, _) = try await services.credentials.verifySignature(signature, site: site, allowJustInTime: true)
            signIn = AccountService.SignIn(user: user, token: services.accounts.issueToken(site: site, user: user))
        } else if let token = Self.impersonationToken(request) {
            // Expert's legacy single sign-on: an impersonation token becomes a normal session (where legacy tokens are on).
            let user = try await services.legacyTokens.userForImpersonationToken(token, site: site)
            signIn = AccountService.SignIn(user: user, token: services.accounts.issueToken(site: site, user: user))
        } else {
            let headers = request.headers[values: .authorization]
            guard headers.count <= 1 else { throw ServiceError.invalidInput("conflicting credentials: more than one Authorization header") }
            guard let header = headers.first else { throw ServiceError.unauthenticated("authentication required") }
            let (username, password) = try BasicCredentials.parse(header)
            signIn = try await services.accounts.signIn(site: site, username: username, password: password, clientAddress: context.clientAddress)
        }
        var response: Response
        if let redirect {
            response = Response(status: .found, headers: [.location: redirect])
        } else {
            response = Response(status: .ok, headers: [.contentType: "text/plain; charset=utf-8"],
                                body: .init(byteBuffer: ByteBuffer(string: signIn.token.string)))
        }
        response.headers[.cacheControl] = "no-store"
        response.setCookie(Self.authCookie(signIn.token, secure: services.settings.usesHTTPS))
        return response
    }

    /// The `authtoken` cookie of a session: HttpOnly, SameSite=Lax, Secure behind https.
    static func authCookie(_ token: AuthToken, secure: Bool) -> Cookie {
        Cookie(name: "authtoken", value: token.string, expires: Date(timeIntervalSince1970: TimeInterval(token.expires)), path: "/",
               secure: secure, httpOnly: true, sameSite: .lax)
    }

    /// An impersonation token (`imp_...`) wherever an auth token may travel: Bearer, `X-Authtoken`, the
    /// `authtoken` query parameter or cookie.
    static func impersonationToken(_ request: Request) -> String? {
        let candidates = [
            request.headers[.authorization].flatMap(CallerResolver.bearerToken), request.headers[CallerResolver.authtokenHeader],
            request.uri.queryParameters["authtoken"].map(String.init), request.cookies["authtoken"]?.value,
        ]
        return candidates.lazy.compactMap { $0 }.first { $0.hasPrefix("imp_") }
    }

    /// A redirect target is accepted when it is a path on this server or an absolute URL on one of the site's
    /// hosts or the public URL's host.
    private func safeRedirect(_ target: String, site: Site) throws -> String {
        try Self.safeRedirect(target, publicURL: publicURL, hostnames: site.hostnames)
    }

    /// The check itself, on the target, the public URL and the site's host names only (the fuzz target calls it).
    package static func safeRedirect(_ target: String, publicURL: String, hostnames: [String]) throws -> String {
        guard RedirectTarget.isClean(target) else { throw ServiceError.invalidInput("redirect is not a valid address") }
        // By byte, not by Swift character: `//` followed by a combining mark or a variation selector is one
        // character `/` and one `/◌`, so a character test would take `//\u{FE0F}evil.example` for a path, and a browser
        // reads it as the host evil.example (IDNA drops the selector).
        let bytes = target.utf8
        if bytes.first == UInt8(ascii: "/"), bytes.dropFirst().first != UInt8(ascii: "/") { return target }
        guard let url = URLComponents(string: target), let scheme = url.scheme?.lowercased(), scheme == "http" || scheme == "https",
              let host = url.host.flatMap(Hostname.normalise)
        else { throw ServiceError.invalidInput("redirect is not a valid address") }
        let ownHost = URLComponents(string: publicURL)?.host.flatMap(Hostname.normalise)
        guard host == ownHost || hostnames.contains(host) else {
            throw ServiceError.invalidInput("redirect must point to this site")
        }
        return target
    }

    // MARK: Users

    private func current(_ request: Request, _ context: TesseraContext) async throws -> Response {
        let format = try DekiFormat.of(request)
        let caller = try context.requireCaller()
        return DekiOutput.response(UserDocuments.user(caller.user, publicURL: publicURL), format: format)
    }

    private func list(_ request: Request, _ context: TesseraContext) async throws -> Response {
        let format = try DekiFormat.of(request)
        let query = try Self.userQuery(request)
        let found = try await services.accounts.searchUsers(query, caller: try context.requireCaller())
        return DekiOutput.response(UserDocuments.users(found.users, matching: found.matching, total: found.total, publicURL: publicURL),
                                   format: format)
    }

    /// `GET users`' parameters as Expert reads them: an unknown `sortby` or an `activatedfilter` other than
    /// true/false is ignored, `limit` may be `all` (or come as `count` or `max`), and a `seatfilter` Tessera cannot
    /// answer is a 400.
    static func userQuery(_ request: Request) throws -> UserQuery {
        let parameters = request.uri.queryParameters
        func text(_ name: String) -> String? {
            guard let value = parameters[Substring(name)], !value.isEmpty else { return nil }
            return String(value)
        }
        var query = UserQuery()
        query.usernamePrefix = text("usernamefilter")
        query.fullNamePrefix = text("fullnamefilter")
        query.usernameOrEmailPrefix = text("usernameemailfilter")
        query.roleName = text("rolefilter")
        switch text("activatedfilter")?.trimmingCharacters(in: .whitespaces).lowercased() {
        case "true": query.activated = true
        case "false": query.activated = false
        default: break
        }
        switch text("seatfilter") {
        case nil: break
        case "seated", "true": query.seated = true
        case "unseated", "false": query.seated = false
        default: throw ServiceError.invalidInput("invalid value for seatfilter: seated, unseated, true or false")
        }
        if let sort = text("sortby") {
            let descending = sort.hasPrefix("-")
            let name = sort.dropFirst(descending ? 1 : 0).lowercased().replacingOccurrences(of: "_", with: ".")
            // An unknown field is ignored, direction included, as Expert does.
            if let field = UserQuery.SortField(rawValue: name == "nick" ? "username" : name) {
                query.sort = field
                query.descending = descending
            }
        }
        if let limit = text("limit") ?? text("count") ?? text("max") {
            if limit.lowercased() == "all" {
                query.limit = UserQuery.maxLimit
            } else {
                guard limit.utf8.count <= 10, let n = UInt32(limit) else { throw ServiceError.invalidInput("'limit' parameter is not valid") }
                query.limit = min(Int(n), UserQuery.maxLimit)
            }
        }
        if let offset = text("offset") {
            guard offset.utf8.count <= 10, let n = UInt32(offset) else { throw ServiceError.invalidInput("'offset' parameter is not valid") }
            query.offset = Int(n)
        }
        return query
    }

    private func create(_ request: Request, _ context: TesseraContext) async throws -> Response {
        let format = try DekiFormat.of(request)
        let caller = try context.requireCaller()
        try caller.require(.admin)
        let document = try await DekiInput.document(request, root: "user")
        let changes = try UserDocuments.changes(document, password: password(request))
        let user = try await services.accounts.createUser(changes, caller: caller)
        return DekiOutput.response(UserDocuments.user(user, publicURL: publicURL), format: format)
    }

    private func read(_ request: Request, _ context: TesseraContext) async throws -> Response {
        let format = try DekiFormat.of(request)
        let user = try await services.accounts.user(try reference(context), caller: try context.requireCaller())
        return DekiOutput.response(UserDocuments.user(user, publicURL: publicURL), format: format)
    }

    private func update(_ request: Request, _ context: TesseraContext) async throws -> Response {
        let format = try DekiFormat.of(request)
        let caller = try context.requireCaller()
        try caller.require(.admin)
        let target = try reference(context)
        let document = try await DekiInput.document(request, root: "user")
        let changes = try UserDocuments.changes(document, password: password(request))
        let user = try await services.accounts.updateUser(target, changes: changes, caller: caller)
        return DekiOutput.response(UserDocuments.user(user, publicURL: publicURL), format: format)
    }

    private func reference(_ context: TesseraContext) throws -> UserReference {
        guard let raw = context.parameters.get("user"), let reference = UserReference.parse(decoded: ExpertPath.doubleDecoded(Substring(raw))) else {
            throw ServiceError.invalidInput("user must be a numeric id or =username")
        }
        return reference
    }

    /// The new password travels in the `accountpassword` query parameter, as in Expert's API.
    private func password(_ request: Request) -> String? {
        request.uri.queryParameters["accountpassword"].map(String.init)
    }

    private func integer(_ value: Substring?, name: String) throws -> Int? {
        guard let value else { return nil }
        guard value.count <= 9, let n = Int(value), n >= 0 else { throw ServiceError.invalidInput("\(name) must be a non-negative integer") }
        return n
    }
}
