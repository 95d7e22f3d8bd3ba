import Foundation
import Synchronization
import TesseraCrypto

/// A token-endpoint request as the surface parsed it: the form parameters and the Basic credentials, if any.
public struct TokenRequest: Sendable {
    public var parameters: [String: String]
    /// `Authorization: Basic` credentials, already percent-decoded (RFC 6749 §2.3.1).
    public var basic: (id: String, secret: String)?
    /// This endpoint's own URL: the audience a client assertion must name.
    public var endpointURL: String
    public var clientAddress: String

    public init(parameters: [String: String], basic: (id: String, secret: String)?, endpointURL: String, clientAddress: String) {
        self.parameters = parameters
        self.basic = basic
        self.endpointURL = endpointURL
        self.clientAddress = clientAddress
    }
}

/// The OAuth 2.0 side of CXone: client authentication (client_secret_basic, client_secret_post,
/// client_secret_jwt) and the grants of `/auth/token` — password (an access key, for back-end applications),
/// refresh_token (rotating, with reuse detection) and authorization_code (PKCE-bound).
public final class OAuthService: Sendable {
    public static let jwtBearerAssertion = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
    /// How long a code lives (seconds).
    public static let codeLifetime: Int64 = 60

    private let store: any Store
    private let directory: Directory
    private let tokens: CXoneTokenService
    private let accessKeys: AccessKeyService
    private let identityExchange: IdentityExchangeService
    private let masterKey: MasterKey
    private let audit: AuditLog
    private let now: @Sendable () -> Date

    public init(store: any Store, directory: Directory, tokens: CXoneTokenService, accessKeys: AccessKeyService,
                identityExchange: IdentityExchangeService, masterKey: MasterKey, audit: AuditLog, now: @escaping @Sendable () -> Date = { Date() }) {
        self.identityExchange = identityExchange
        self.store = store
        self.directory = directory
        self.tokens = tokens
        self.accessKeys = accessKeys
        self.masterKey = masterKey
        self.audit = audit
        self.now = now
    }

    // MARK: Applications

    /// A client secret: derived from the master key and the application's salt, never stored (client_secret_jwt
    /// needs the secret itself to check an assertion's HMAC). 32 bytes in base64, like CXone's secrets.
    public func clientSecret(of application: Application) -> String? {
        guard let salt = application.secretSalt else { return nil }
        let memoKey = application.clientID + "|" + salt
        if let known = secrets.withLock({ $0[memoKey] }) { return known }
        // Base64url with its padding: no '+' or '/', so the secret reads the same whether a client form-encodes its
        // Basic credentials (RFC 6749 §2.3.1) or not, as many do not.
        let secret = Base64URL.encode(masterKey.derive256("application-secret", application.siteID.lowercasedString, application.clientID, salt)) + "="
        secrets.withLock { memo in
            if memo.count >= 10_000 { memo.removeAll() }
            memo[memoKey] = secret
        }
        return secret
    }

    /// Derived client secrets, per client id and salt: clients authenticate on every introspection call.
    private let secrets = Mutex<[String: String]>([:])

    // MARK: Client authentication

    /// The client a token request comes from. Returns nil when the request names no client at all (allowed only
    /// where a grant says so). Throws invalid_client for unknown, disabled or foreign clients, wrong secrets,
    /// a method other than the registered one, and replayed assertions.
    public func authenticateClient(_ request: TokenRequest, site: Site) async throws(OAuthError) -> Application? {
        let p = request.parameters
        let assertion = p["client_assertion"]
        let postSecret = p["client_secret"]
        let presented = [request.basic != nil, assertion != nil, postSecret != nil].filter { $0 }.count
        guard presented <= 1 else { throw .invalidRequest("use exactly one client authentication method") }
        let basic = request.basic != nil

        let method: ClientAuthMethod
        let clientID: String
        if let (id, _) = request.basic {
            method = .clientSecretBasic
            clientID = id
            if let bodyID = p["client_id"], bodyID != id { throw .invalidRequest("client_id differs from the Basic credentials") }
        } else if let assertion {
            guard p["client_assertion_type"] == Self.jwtBearerAssertion else { throw .invalidRequest("client_assertion_type must be \(Self.jwtBearerAssertion)") }
            guard let jwt = CompactJWT.parse(assertion), let iss = jwt.claims["iss"]?.string else { throw .invalidClient("malformed client assertion") }
            method = .clientSecretJWT
            clientID = iss
            if let bodyID = p["client_id"], bodyID != iss { throw .invalidClient("client_id differs from the assertion's issuer") }
        } else if let id = p["client_id"] {
            method = postSecret != nil ? .clientSecretPost : .none
            clientID = id
        } else {
            if p["client_secret"] != nil { throw .invalidRequest("client_secret without client_id") }
            return nil
        }

        let unknown = OAuthError.invalidClient("client authentication failed", basic: basic)
        guard !clientID.isEmpty, clientID.utf8.count <= 255 else { throw unknown }
        let found: Application?
        do { found = try await directory.application(clientID: clientID) } catch { throw .serverError(error) }
        guard let application = found, application.isEnabled, application.serves(site: site) else {
            refuse(site: site, request: request, detail: "client: unknown, disabled or not for this tenant")
            throw unknown
        }
        guard application.authMethod == method else {
            refuse(site: site, request: request, detail: "client: used \(method.rawValue), registered \(application.authMethod.rawValue)")
            throw OAuthError.invalidClient("this client is registered for \(application.authMethod.rawValue)", basic: basic)
        }
        guard let secret = clientSecret(of: application) else { return application }  // public client: the id is all there is
        switch method {
        case .clientSecretBasic, .clientSecretPost:
            let given = request.basic?.secret ?? postSecret ?? ""
            guard Secrets.constantTimeEqual(Array(given.utf8), Array(secret.utf8)) else {
                refuse(site: site, request: request, detail: "client: wrong secret")
                throw unknown
            }
        case .clientSecretJWT:
            try await checkAssertion(assertion ?? "", application: application, secret: secret, request: request, site: site)
        case .none:
            throw unknown
        }
        return application
    }

    /// RFC 7523 §3: HMAC-signed with the client secret, iss = sub = client_id, aud names this endpoint (or the
    /// issuer), not expired nor far in the future, and a jti never seen before.
    private func checkAssertion(_ raw: String, application: Application, secret: String, request: TokenRequest, site: Site) async throws(OAuthError) {
        let refused = OAuthError.invalidClient("client assertion refused")
        guard let jwt = CompactJWT.parse(raw), jwt.verifiesHMAC(key: Array(secret.utf8)) else {
            refuse(site: site, request: request, detail: "client assertion: bad signature or algorithm")
            throw refused
        }
        let audiences = jwt.audiences
        let issuer = tokens.settings.oidcIssuer(of: site)
        let epoch = Int64(now().timeIntervalSince1970)
        guard jwt.claims["sub"]?.string == application.clientID,
              audiences.contains(where: { $0 == request.endpointURL || $0 == issuer || $0 == issuer + "/auth/token" }),
              // authlib's client_secret_jwt asks for an hour; the jti is remembered until exp, so the bound is what
              // keeps that memory finite.
              let exp = jwt.time("exp"), exp > epoch - 30, exp <= epoch + 3900,
              jwt.time("nbf").map({ $0 <= epoch + 30 }) ?? true,
              let jti = jwt.claims["jti"]?.string, !jti.isEmpty, jti.utf8.count <= 255
        else {
            refuse(site: site, request: request, detail: "client assertion: claims")
            throw refused
        }
        let fresh: Bool
        do { fresh = try await store.recordClientAssertion(clientID: application.clientID, jti: jti, expiresAt: Date(timeIntervalSince1970: TimeInterval(exp + 30))) }
        catch { throw .serverError(error) }
        guard fresh else {
            refuse(site: site, request: request, detail: "client assertion: jti replayed")
            throw OAuthError.invalidClient("client assertion already used")
        }
    }

    private func refuse(site: Site, request: TokenRequest, detail: String) {
        audit.record(AuditEvent(siteID: site.id, action: "credential.refused", outcome: "refused", actorUserID: nil, tokenID: nil,
                                clientAddress: request.clientAddress, detail: detail))
    }

    // MARK: Grants

    /// `/auth/token`.
    public func token(_ request: TokenRequest, site: Site) async throws(OAuthError) -> IssuedTokens {
        let p = request.parameters
        guard let grant = p["grant_type"], !grant.isEmpty else { throw .invalidRequest("grant_type is required") }
        switch grant {
        case "password": return try await passwordGrant(request, site: site)
        case "refresh_token":
            guard let raw = p["refresh_token"], !raw.isEmpty else { throw .invalidRequest("refresh_token is required") }
            let client = try await authenticateClient(request, site: site)
            return try await tokens.refresh(raw, site: site, client: client)
        case "authorization_code": return try await codeGrant(request, site: site)
        case Self.tokenExchange: return try await tokenExchangeGrant(request, site: site)
        default: throw .unsupportedGrantType("grant_type \(grant.prefix(100)) is not supported")
        }
    }

    /// Back-end applications: username and password are an access key id and secret.
    private func passwordGrant(_ request: TokenRequest, site: Site) async throws(OAuthError) -> IssuedTokens {
        guard let client = try await authenticateClient(request, site: site) else {
            throw .invalidClient("the password grant needs client authentication")
        }
        guard client.type == .backend else { throw .unauthorizedClient("only back-end applications may use the password grant") }
        guard let id = request.parameters["username"], let secret = request.parameters["password"] else {
            throw .invalidRequest("username (access key id) and password (access key secret) are required")
        }
        let user = try await accessKeys.authenticate(id: id, secret: secret, site: site, clientAddress: request.clientAddress)
        do { return try await tokens.issue(user: user, site: site, clientID: client.clientID) } catch { throw .serverError(error) }
    }

    /// A code from `/auth/authorize`: single use, 60 s, bound to its client, redirect URI and PKCE challenge.
    private func codeGrant(_ request: TokenRequest, site: Site) async throws(OAuthError) -> IssuedTokens {
        let p = request.parameters
        guard let raw = p["code"], !raw.isEmpty, raw.utf8.count <= 512 else { throw .invalidRequest("code is required") }
        guard let redirectURI = p["redirect_uri"] else { throw .invalidRequest("redirect_uri is required") }
        guard let client = try await authenticateClient(request, site: site) else { throw .invalidClient("client_id is required") }
        guard client.type != .backend else { throw .unauthorizedClient("back-end applications use the password grant") }
        return try await redeemCode(raw, redirectURI: redirectURI, verifier: p["code_verifier"], client: client, site: site)
    }

    /// Spends a code for an authenticated client: the code must be this client's, for this redirect URI, with
    /// the verifier of its challenge. A code presented twice revokes what its first use issued.
    public func redeemCode(_ raw: String, redirectURI: String, verifier: String?, client: Application, site: Site) async throws(OAuthError)
        -> IssuedTokens {
        let consumed: Consumption<AuthorizationCode>
        do { consumed = try await store.consumeAuthorizationCode(hash: tokens.refreshHash(raw)) } catch { throw .serverError(error) }
        let invalid = OAuthError.invalidGrant("authorization code is invalid, expired or already used")
        if case .reused(let family, let site) = consumed { try? await tokens.revokeAccessTokens(family: family, site: site) }
        guard case .fresh(let code) = consumed else { throw invalid }
        guard code.siteID == site.id, code.clientID == client.clientID, code.expiresAt > now() else { throw invalid }
        guard code.redirectURI == redirectURI else { throw .invalidGrant("redirect_uri differs from the authorization request's") }
        if let challenge = code.codeChallenge {
            guard let verifier, Self.isValidVerifier(verifier),
                  Secrets.constantTimeEqual(Array(Base64URL.encode(Secrets.sha256(Array(verifier.utf8))).utf8), Array(challenge.utf8))
            else { throw .invalidGrant("code_verifier does not match the code challenge") }
        } else if client.type == .public {
            throw .invalidGrant("public clients must use PKCE")
        }
        do {
            guard let user = try await directory.user(site: site.id, id: code.userID), user.status == .active else { throw invalid }
            return try await tokens.issue(user: user, site: site, clientID: client.clientID, scope: code.scope, authTime: code.authTime,
                                          nonce: code.nonce, family: code.familyID)
        } catch let error as OAuthError {
            throw error
        } catch {
            throw .serverError(error)
        }
    }

    public static let tokenExchange = "urn:ietf:params:oauth:grant-type:token-exchange"
    public static let idTokenType = "urn:ietf:params:oauth:token-type:id_token"
    public static let accessTokenType = "urn:ietf:params:oauth:token-type:access_token"

    /// RFC 8693: an ID token of a trusted identity provider, a JWT access token of one, or an access token of this
    /// site becomes an access token for the authenticated client. Users are provisioned as the Expert exchange does.
    private func tokenExchangeGrant(_ request: TokenRequest, site: Site) async throws(OAuthError) -> IssuedTokens {
        guard let client = try await authenticateClient(request, site: site) else { throw .invalidClient("token exchange needs client authentication") }
        let p = request.parameters
        guard let subject = p["subject_token"], !subject.isEmpty else { throw .invalidRequest("subject_token is required") }
        guard let subjectType = p["subject_token_type"], !subjectType.isEmpty else { throw .invalidRequest("subject_token_type is required") }
        if let requested = p["requested_token_type"], requested != Self.accessTokenType {
            throw .invalidRequest("requested_token_type must be \(Self.accessTokenType)")
        }
        guard p["actor_token"] == nil else { throw .invalidRequest("delegation (actor_token) is not supported") }
        let scope = p["scope"].map { $0.split(separator: " ").joined(separator: " ") } ?? "openid"
        guard !scope.isEmpty, scope.utf8.count <= 1024 else { throw .invalidRequest("scope is malformed") }
        let user: User
        do {
            switch subjectType {
            case Self.idTokenType:
                user = try await identityExchange.exchange(subject, site: site, clientAddress: request.clientAddress)
            case Self.accessTokenType where CXoneTokenService.isCXoneToken(subject):
                user = try await tokens.verifyAccessToken(subject, site: site).user
            case Self.accessTokenType:
                user = try await identityExchange.exchange(subject, site: site, clientAddress: request.clientAddress)
            default:
                throw OAuthError.invalidRequest("subject_token_type must be \(Self.idTokenType) or \(Self.accessTokenType)")
            }
        } catch let error as OAuthError {
            throw error
        } catch let error as ServiceError {
            if case .unavailable = error { throw .serverError(error) }
            throw .invalidGrant("subject_token refused: \(error.message)")
        } catch {
            throw .serverError(error)
        }
        do {
            var issued = try await tokens.issue(user: user, site: site, clientID: client.clientID, scope: scope, refresh: false)
            issued.issuedTokenType = Self.accessTokenType
            issued.scope = scope
            return issued
        } catch { throw .serverError(error) }
    }

    /// RFC 7636 §4.1: 43 to 128 unreserved characters.
    static func isValidVerifier(_ verifier: String) -> Bool {
        (43...128).contains(verifier.utf8.count) && verifier.utf8.allSatisfy {
            ($0 >= 0x41 && $0 <= 0x5A) || ($0 >= 0x61 && $0 <= 0x7A) || ($0 >= 0x30 && $0 <= 0x39) || $0 == 0x2D || $0 == 0x2E || $0 == 0x5F || $0 == 0x7E
        }
    }

    /// Stores a new authorization code for a signed-in user and returns it (the authorize endpoint's last step).
    public func issueCode(site: Site, client: Application, user: User, redirectURI: String, codeChallenge: String?, nonce: String?,
                          scope: String, authTime: Int64) async throws -> String {
        let raw = Base64URL.encode(Secrets.randomBytes(32))
        let created = now()
        try await store.insertAuthorizationCode(AuthorizationCode(
            hash: tokens.refreshHash(raw), siteID: site.id, clientID: client.clientID, userID: user.id, redirectURI: redirectURI,
            codeChallenge: codeChallenge, nonce: nonce, scope: scope, authTime: authTime, familyID: UUID(), createdAt: created,
            expiresAt: created.addingTimeInterval(TimeInterval(Self.codeLifetime))
        ))
        return raw
    }
}
