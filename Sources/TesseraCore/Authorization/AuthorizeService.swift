import Foundation
import TesseraCrypto

/// The authorization endpoint's decisions, free of HTML: validating a request, the sign-in session, prompt and
/// max_age, consent, and the redirect with a code or an error (RFC 6749 §4.1, OpenID Connect Core §3.1.2).
public final class AuthorizeService: Sendable {
    /// How long the sign-in session cookie lives (seconds).
    public static let sessionLifetime: Int64 = 8 * 3600
    /// How long a code lives (seconds).
    public static let codeLifetime: Int64 = 60

    private let codes: any GrantStore
    private let directory: Directory
    private let clients: ClientAuthenticator
    private let consents: ConsentService
    private let tokens: CXoneTokenService
    private let accounts: AccountService
    private let revocations: RevocationList
    private let audit: AuditLog
    private let now: @Sendable () -> Date

    public init(codes: any GrantStore, directory: Directory, clients: ClientAuthenticator, consents: ConsentService, tokens: CXoneTokenService,
                accounts: AccountService, revocations: RevocationList, audit: AuditLog, now: @escaping @Sendable () -> Date = { Date() }) {
        self.codes = codes
        self.directory = directory
        self.clients = clients
        self.consents = consents
        self.tokens = tokens
        self.accounts = accounts
        self.revocations = revocations
        self.audit = audit
        self.now = now
    }

    private var epoch: Int64 { Int64(now().timeIntervalSince1970) }

    // MARK: Validation

    /// The names the forms carry through (everything else a request brings is dropped).
    public static let carried = ["client_id", "redirect_uri", "response_type", "scope", "state", "nonce", "display", "prompt", "max_age",
                                 "id_token_hint", "login_hint", "code_challenge", "code_challenge_method", "tenantId", "acr_values", "ui_locales",
                                 "resellerId"]

    /// Validates a request. Throws `AuthorizePageError` while the client or redirect URI is in doubt; after that,
    /// returns either the request or a redirect carrying the error.
    public func validate(_ pairs: [(String, String)], flow: AuthorizationRequest.Flow, site: Site) async throws -> Result<AuthorizationRequest, RedirectError> {
        var p: [String: String] = [:]
        var repeated: Set<String> = []
        for (name, value) in pairs where Self.carried.contains(name) {
            if p[name] != nil { repeated.insert(name) }
            p[name] = value
        }
        guard let clientID = p["client_id"], !clientID.isEmpty, clientID.utf8.count <= 255, !repeated.contains("client_id") else {
            throw AuthorizePageError("The request names no client (client_id).")
        }
        let client = try await self.client(clientID, flow: flow, site: site)
        guard let redirectURI = p["redirect_uri"], !repeated.contains("redirect_uri") else {
            throw AuthorizePageError("The request has no redirect_uri.")
        }
        guard RedirectTarget.isClean(redirectURI) else {
            throw AuthorizePageError("The redirect_uri holds characters a redirect may not (control characters, spaces, backslashes).")
        }
        guard client.allowsRedirect(to: redirectURI) else {
            throw AuthorizePageError("The redirect_uri is not registered for this application.")
        }
        let state = p["state"]
        func fail(_ error: String, _ description: String) -> Result<AuthorizationRequest, RedirectError> {
            .failure(RedirectError(redirectURI: redirectURI, error: error, description: description, state: state))
        }
        if let name = repeated.first { return fail("invalid_request", "\(name) is given more than once") }
        guard p["response_type"] == "code" else { return fail("unsupported_response_type", "response_type must be code") }
        if let state, state.utf8.count > 2048 { return fail("invalid_request", "state is too long") }
        guard let scopes = Scope.requested(p["scope"] ?? "") else { return fail("invalid_scope", "scope must be scope names separated by spaces") }
        let scope: String
        switch flow {
        case .openID:
            guard scopes.contains(Scope.openid) else { return fail("invalid_scope", "scope must contain openid") }
            // openid, and what the application registered: nothing else.
            let registered = Set(client.application?.scopes ?? [])
            guard let extra = Optional(Set(scopes).subtracting([Scope.openid])), extra.isSubset(of: registered) else {
                return fail("invalid_scope", "the application did not register every scope asked for")
            }
            scope = ([Scope.openid] + extra.sorted()).joined(separator: " ")
        case .expert:
            let asked = scopes.isEmpty ? ["profile"] : scopes
            guard asked.allSatisfy(DeviceFlowService.expertScopes.contains) else { return fail("invalid_scope", "scope may contain profile and seated") }
            scope = DeviceFlowService.expertScopes.sorted().filter(asked.contains).joined(separator: " ")
        }
        let display = p["display"] ?? "page"
        guard display == "page" || display == "popup" else { return fail("invalid_request", "display must be page or popup") }
        let prompts = Set((p["prompt"] ?? "").split(separator: " ").map(String.init))
        guard prompts.isSubset(of: ["none", "login", "consent"]) else { return fail("invalid_request", "prompt may be none, login or consent") }
        if prompts.contains("none"), prompts.count > 1 { return fail("invalid_request", "prompt none cannot be combined") }
        var maxAge: Int64?
        if let text = p["max_age"] {
            guard text.utf8.count <= 10, let value = Int64(text), value >= 0 else { return fail("invalid_request", "max_age must be a number of seconds") }
            maxAge = value
        }
        if let nonce = p["nonce"], nonce.utf8.count > 512 { return fail("invalid_request", "nonce is too long") }
        var hintedUser: UUID?
        if let hint = p["id_token_hint"] {
            guard let guid = await tokens.idTokenHint(hint, site: site) else { return fail("invalid_request", "id_token_hint is not an id_token of this issuer") }
            hintedUser = guid
        }
        if let loginHint = p["login_hint"], loginHint.count > 255 { return fail("invalid_request", "login_hint is too long") }
        var challenge: String?
        if let given = p["code_challenge"] {
            guard (p["code_challenge_method"] ?? "plain") == "S256" else {
                return fail("invalid_request", "code_challenge_method must be S256 (plain is not supported)")
            }
            guard PKCE.isWellFormed(given) else { return fail("invalid_request", "code_challenge must be 43 to 128 base64url characters") }
            challenge = given
        } else if p["code_challenge_method"] != nil {
            return fail("invalid_request", "code_challenge_method without code_challenge")
        } else if client.type == .public {
            return fail("invalid_request", "public clients must use PKCE: code_challenge with code_challenge_method S256")
        }
        if let tenant = p["tenantId"], UUID(uuidString: tenant) != site.id {
            return fail("invalid_request", "tenantId names another tenant: use that tenant's own sign-in address")
        }
        return .success(AuthorizationRequest(
            flow: flow, client: client, redirectURI: redirectURI, state: state, nonce: p["nonce"], scope: scope, display: display, prompts: prompts,
            maxAge: maxAge, hintedUser: hintedUser, loginHint: p["login_hint"], codeChallenge: challenge,
            parameters: pairs.filter { Self.carried.contains($0.0) }))
    }

    /// The client of a request: for CXone's endpoint, an application that may sign users of this site in (not a
    /// back-end one); for Expert's, an OAuth API token of this site.
    private func client(_ clientID: String, flow: AuthorizationRequest.Flow, site: Site) async throws -> OAuthClient {
        switch flow {
        case .openID:
            guard let client = try await clients.client(id: clientID, site: site, accepting: .applications) else {
                throw AuthorizePageError("The application is unknown, disabled, or not available to this tenant.")
            }
            guard client.type != .backend else { throw AuthorizePageError("A back-end application cannot sign users in.") }
            return client
        case .expert:
            guard let client = try await clients.client(id: clientID, site: site, accepting: .developerTokens) else {
                throw AuthorizePageError("The OAuth API token is unknown.")
            }
            return client
        }
    }

    // MARK: Session

    /// The signed-in user of a session cookie, if it is genuine, current and not logged out.
    public func session(_ cookie: String?, site: Site) async throws -> (user: User, session: SignInSession)? {
        guard let cookie, let session = SignInSession.parse(cookie), session.expires > epoch else { return nil }
        guard let user = try await directory.user(site: site.id, id: session.userID), !user.isAnonymous, user.status == .active,
              session.verifies(key: site.authTokenKey, siteID: site.id, securityStamp: user.securityStamp)
        else { return nil }
        if try await revocations.isRevoked(site: site.id, Self.revocationReference(session)) { return nil }
        return (user, session)
    }

    static func revocationReference(_ session: SignInSession) -> String {
        "signin:" + Secrets.hex(Secrets.sha256(Array(session.mac.utf8)).prefix(16))
    }

    /// Checks a username and password (throttled per account and address) and starts a session.
    public func signIn(site: Site, username: String, password: String, clientAddress: String) async throws -> (User, SignInSession) {
        let result = try await accounts.signIn(site: site, username: username, password: password, clientAddress: clientAddress)
        let authTime = epoch
        let session = SignInSession.issue(key: site.authTokenKey, siteID: site.id, userID: result.user.id, securityStamp: result.user.securityStamp,
                                          authTime: authTime, expires: authTime + Self.sessionLifetime)
        audit.record(AuditEvent(siteID: site.id, action: "signin", outcome: "success", actorUserID: result.user.id, tokenID: nil,
                                clientAddress: clientAddress, detail: "authorization page"))
        return (result.user, session)
    }

    /// Ends a sign-in session everywhere (the cookie is also cleared by the caller), and with it every session the
    /// code flow started from it: their refresh tokens and the access tokens issued in them.
    public func signOut(_ session: SignInSession, site: Site) async throws {
        let reference = Self.revocationReference(session)
        try await revocations.revoke(Revocation(siteID: site.id, reference: reference, expiresAt: session.expires))
        for (site, family) in try await codes.revokeRefreshTokens(signInSession: reference) {
            try await tokens.endSession(family: family, site: site)
        }
    }

    // MARK: Deciding

    /// What to do with a valid request given the current session. `freshSignIn` is true right after the user
    /// typed their password in this request (prompt=login is then satisfied).
    public func decide(_ request: AuthorizationRequest, session: (user: User, session: SignInSession)?, freshSignIn: Bool, site: Site) async throws
        -> AuthorizeOutcome {
        let promptNone = request.prompts.contains("none")
        func needSignIn() -> AuthorizeOutcome {
            promptNone ? .redirect(error(request, "login_required", "the user is not signed in")) : .signIn(request, message: nil, status: 200)
        }
        guard let (user, current) = session else { return needSignIn() }
        if request.prompts.contains("login"), !freshSignIn { return needSignIn() }
        if let maxAge = request.maxAge, epoch - current.authTime > maxAge { return needSignIn() }
        if let hinted = request.hintedUser, hinted != user.guid { return needSignIn() }
        let granted = try await consents.covers(user: user, clientID: request.client.id, scope: request.scope, site: site)
        if request.prompts.contains("consent") || !granted {
            if promptNone { return .redirect(error(request, "consent_required", "the user has not consented to this application")) }
            return .consent(request, user)
        }
        return .redirect(try await code(request, user: user, session: current, site: site))
    }

    /// The user's answer on the consent page.
    public func consent(_ request: AuthorizationRequest, user: User, session: SignInSession, allow: Bool, site: Site, clientAddress: String) async throws -> String {
        if allow, Scope.set(request.scope).contains(Scope.admin), !user.role.allows(.admin) {
            audit.record(AuditEvent(siteID: site.id, at: now(), action: "consent.deny", outcome: "refused", actorUserID: user.id, tokenID: nil,
                                    clientAddress: clientAddress, detail: "client \(request.client.id): administrative scope, user not an administrator"))
            return error(request, "access_denied", "only an administrator can grant administrative access")
        }
        guard allow else {
            audit.record(AuditEvent(siteID: site.id, action: "consent.deny", outcome: "refused", actorUserID: user.id, tokenID: nil,
                                    clientAddress: clientAddress, detail: "client \(request.client.id)"))
            return error(request, "access_denied", "the user denied the request")
        }
        try await consents.record(user: user, clientID: request.client.id, clientName: request.client.name, scope: request.scope, site: site)
        audit.record(AuditEvent(siteID: site.id, action: "consent.grant", outcome: "success", actorUserID: user.id, tokenID: nil,
                                clientAddress: clientAddress, detail: "client \(request.client.id) scope \(request.scope)"))
        return try await code(request, user: user, session: session, site: site)
    }

    private func code(_ request: AuthorizationRequest, user: User, session: SignInSession, site: Site) async throws -> String {
        if Scope.set(request.scope).contains(Scope.seated), !user.hasSeat {
            return error(request, "invalid_scope", "the seated scope needs a user with a seat")
        }
        let raw = try await issueCode(client: request.client, user: user, redirectURI: request.redirectURI, codeChallenge: request.codeChallenge,
                                      nonce: request.nonce, scope: request.scope, authTime: session.authTime, site: site,
                                      signInSession: Self.revocationReference(session))
        return Self.appendingQuery(to: request.redirectURI, [("code", raw), ("state", request.state)])
    }

    /// Stores a new authorization code (its keyed hash) for a signed-in user's consented request; returns the code.
    public func issueCode(client: OAuthClient, user: User, redirectURI: String, codeChallenge: String?, nonce: String?, scope: String,
                          authTime: Int64, site: Site, signInSession: String? = nil) async throws -> String {
        let raw = Base64URL.encode(Secrets.randomBytes(32))
        let created = now()
        try await codes.insertAuthorizationCode(AuthorizationCode(
            hash: tokens.refreshHash(raw), siteID: site.id, clientID: client.id, userID: user.id, redirectURI: redirectURI,
            codeChallenge: codeChallenge, nonce: nonce, scope: scope, authTime: authTime, familyID: UUID(),
            createdAt: created, expiresAt: created.addingTimeInterval(TimeInterval(Self.codeLifetime)), signInSession: signInSession))
        return raw
    }

    public func error(_ request: AuthorizationRequest, _ code: String, _ description: String) -> String {
        RedirectError(redirectURI: request.redirectURI, error: code, description: description, state: request.state).location
    }

    /// Adds query parameters to a URL that may already have some.
    public static func appendingQuery(to uri: String, _ items: [(String, String?)]) -> String {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~")
        let query = items.compactMap { name, value in value.map { "\(name)=\($0.addingPercentEncoding(withAllowedCharacters: allowed) ?? "")" } }
            .joined(separator: "&")
        return uri + (uri.contains("?") ? "&" : "?") + query
    }
}
