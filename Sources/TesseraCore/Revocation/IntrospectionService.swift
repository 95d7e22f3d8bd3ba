import Foundation
import TesseraCrypto

/// RFC 7662 introspection and RFC 7009 revocation for every kind of token Tessera issues: CXone access and refresh
/// tokens, server tokens' long-term JWTs and sign-in auth tokens. Revocation takes effect at once on every instance:
/// access and auth tokens go on the `RevocationList`, a refresh token's family is revoked in the store (and its
/// access tokens listed), a long-term JWT's server token loses its JWT key.
public final class IntrospectionService: Sendable {
    private let refreshTokens: any GrantStore
    private let developerTokens: any DeveloperTokenStore
    private let directory: Directory
    private let clients: ClientAuthenticator
    private let credentials: CredentialService
    private let accounts: AccountService
    private let tokens: CXoneTokenService
    private let revocations: RevocationList
    private let audit: AuditLog
    private let now: @Sendable () -> Date

    public init(refreshTokens: any GrantStore, developerTokens: any DeveloperTokenStore, directory: Directory, clients: ClientAuthenticator,
                credentials: CredentialService, accounts: AccountService, tokens: CXoneTokenService, revocations: RevocationList, audit: AuditLog,
                now: @escaping @Sendable () -> Date = { Date() }) {
        self.refreshTokens = refreshTokens
        self.developerTokens = developerTokens
        self.directory = directory
        self.clients = clients
        self.credentials = credentials
        self.accounts = accounts
        self.tokens = tokens
        self.revocations = revocations
        self.audit = audit
        self.now = now
    }

    // MARK: Client authentication

    /// Authenticates the caller of introspection or revocation: an application with a secret (its registered
    /// method) or an OAuth API token. Public clients have nothing to prove themselves with here.
    public func authenticate(_ request: TokenRequest, site: Site) async throws(OAuthError) -> OAuthClient {
        let basic = request.basic != nil
        guard let client = try await clients.authenticate(request, site: site, accepting: .all) else {
            throw .invalidClient("client authentication is required", basic: basic)
        }
        guard client.type.hasSecret else { throw .invalidClient("a public client cannot use this endpoint", basic: basic) }
        return client
    }

    // MARK: Introspection

    /// The token's state, or nil when it is not an active token of this site (unknown, malformed, expired, revoked,
    /// or not a bearer credential such as an id_token). Only a store failure throws.
    public func introspect(_ raw: String, site: Site) async throws -> TokenIntrospection? {
        guard !raw.isEmpty, raw.utf8.count <= CompactJWT.maxLength else { return nil }
        do {
            return try await identify(raw, site: site)?.introspection
        } catch let error as ServiceError {
            if case .unavailable = error { throw error }
            return nil
        }
    }

    /// An active token, with what revoking it takes.
    private enum Found {
        case access(VerifiedAccessToken, issuedAt: Int64?)
        case refresh(RefreshToken, User)
        case longTermJWT(User, DeveloperToken, expires: Int64, issuedAt: Int64?)
        case authToken(User, AuthToken)

        var introspection: TokenIntrospection {
            switch self {
            case .access(let token, let iat):
                TokenIntrospection(kind: "access-token", user: token.user, clientID: token.clientID, scope: token.scope, expires: token.expires,
                                   issuedAt: iat, jti: token.jti, tokenType: "Bearer")
            case .refresh(let token, let user):
                TokenIntrospection(kind: "refresh-token", user: user, clientID: token.clientID, scope: token.scope,
                                   expires: Int64(token.expiresAt.timeIntervalSince1970), issuedAt: Int64(token.createdAt.timeIntervalSince1970),
                                   jti: nil, tokenType: "refresh_token")
            case .longTermJWT(let user, _, let expires, let iat):
                TokenIntrospection(kind: "long-term-jwt", user: user, clientID: nil, scope: nil, expires: expires, issuedAt: iat, jti: nil, tokenType: "Bearer")
            case .authToken(let user, let token):
                TokenIntrospection(kind: "authtoken", user: user, clientID: nil, scope: nil, expires: token.expires, issuedAt: nil, jti: nil, tokenType: "Bearer")
            }
        }

        /// The client a token was issued to, if any: only that client may revoke it.
        var clientID: String? {
            switch self {
            case .access(let token, _): token.clientID
            case .refresh(let token, _): token.clientID
            case .longTermJWT, .authToken: nil
            }
        }
    }

    /// Tells the kinds apart by shape: Tessera's RS256 JWTs, other JWTs (long-term), auth tokens, then refresh tokens.
    private func identify(_ raw: String, site: Site) async throws -> Found? {
        if CXoneTokenService.isCXoneToken(raw) {
            let verified = try await tokens.verifyAccessToken(raw, site: site)
            return .access(verified, issuedAt: verified.issuedAt)
        }
        if raw.utf8.contains(UInt8(ascii: ".")) {
            let (user, token) = try await credentials.verifyLongTermJWT(raw, site: site)
            // The times were read when the JWT verified (parsing its JSON again costs more than the rest of the call).
            let times = credentials.verifiedTimes(ofLongTermJWT: raw) ?? CompactJWT.parse(raw).map { ($0.time("exp") ?? 0, $0.time("iat")) } ?? (0, nil)
            return .longTermJWT(user, token, expires: times.0, issuedAt: times.1)
        }
        if let token = AuthToken.parse(raw) {
            return .authToken(try await accounts.user(forAuthToken: raw, site: site), token)
        }
        guard raw.utf8.count <= 512, let token = try await refreshTokens.refreshToken(hash: tokens.refreshHash(raw)), token.siteID == site.id,
              token.expiresAt > now(), let user = try await directory.user(site: site.id, id: token.userID), user.status == .active
        else { return nil }
        return .refresh(token, user)
    }

    // MARK: Revocation

    /// Revokes a token of this site. Unknown and already inactive tokens are not an error (RFC 7009 §2.2). A token
    /// issued to an application may be revoked only by that application.
    public func revoke(_ raw: String, site: Site, client: OAuthClient, clientAddress: String) async throws(OAuthError) {
        guard !raw.isEmpty, raw.utf8.count <= CompactJWT.maxLength else { return }
        let found: Found?
        do { found = try await identify(raw, site: site) } catch let error as ServiceError {
            if case .unavailable = error { throw .serverError(error) }
            return
        } catch { throw .serverError(error) }
        guard let found else { return }
        if let owner = found.clientID, owner != client.id {
            throw .unauthorizedClient("the token was issued to another client")
        }
        do {
            switch found {
            case .access(let token, _):
                try await revocations.revoke(Revocation(siteID: site.id, reference: Revocation.accessToken(jti: token.jti), expiresAt: token.expires))
            case .refresh(let token, _):
                try await tokens.endSession(family: token.familyID, site: site.id)
            case .longTermJWT(_, let token, _, _):
                // Only the JWT column, and only if it still holds this JWT's salt: the token read may be a cached copy,
                // and writing it back whole could undo a change made since (a new JWT, a new restriction).
                if let salt = token.jwtSalt { _ = try await developerTokens.revokeLongTermJWT(site: site.id, id: token.id, salt: salt) }
            case .authToken(_, let token):
                try await revocations.revoke(Revocation(siteID: site.id, reference: AccountService.revocationReference(token), expiresAt: token.expires))
            }
        } catch { throw .serverError(error) }
        let introspection = found.introspection
        audit.record(AuditEvent(siteID: site.id, at: now(), action: "token.revoke", outcome: "success", actorUserID: introspection.user.id,
                                tokenID: { if case .longTermJWT(_, let t, _, _) = found { return t.id } else { return nil } }(),
                                clientAddress: clientAddress, detail: "\(introspection.kind) revoked by client \(client.id)"))
    }
}
