import Foundation
import Synchronization
import TesseraCrypto

/// Issues and verifies CXone's tokens: RS256 access tokens and id_tokens with the CXone claim set, opaque refresh
/// tokens that rotate on every use (stored as keyed hashes, grouped in families), and the "Generate Key" basic
/// token. Lifetimes come from `Settings`.
public final class CXoneTokenService: Sendable {
    /// The audience of tokens that no client asked for (access key, basic token): CXone writes client ids there.
    public static let accessKeyAudience = "access-key"
    /// `token_use` tells Tessera's own token kinds apart, so that an id_token or a basic token is never taken for
    /// an access token. Clients ignore the claim.
    enum TokenUse: String {
        case access, id, basic
    }

    /// The refusal of a valid token whose user was deactivated since.
    public static let deactivatedUser = "the token's user is deactivated"

    let keyRing: KeyRing
    private let directory: Directory
    private let revocations: RevocationList
    private let grants: any GrantStore
    private let masterKey: MasterKey
    let settings: Settings
    let now: @Sendable () -> Date

    public init(keyRing: KeyRing, directory: Directory, grants: any GrantStore, masterKey: MasterKey, settings: Settings, revocations: RevocationList,
                now: @escaping @Sendable () -> Date = { Date() }) {
        self.keyRing = keyRing
        self.revocations = revocations
        self.directory = directory
        self.grants = grants
        self.masterKey = masterKey
        self.settings = settings
        self.now = now
    }

    var epoch: Int64 { Int64(now().timeIntervalSince1970) }

    static func milliseconds(_ date: Date) -> Int64 { Int64((date.timeIntervalSince1970 * 1000).rounded(.down)) }

    // MARK: Claims

    /// The CXone claim set of a user, as the reference lists it (§2.10), without the time and audience claims.
    public func userClaims(_ user: User, site: Site) -> [(String, JSONValue)] {
        let endpoints = settings.endpoints(of: site)
        let (given, family) = Self.splitName(user.fullName)
        let role = user.role
        return [
            ("iss", .string(settings.oidcIssuer(of: site))),
            ("sub", .string("user:" + user.guid.lowercasedString)),
            ("tenantId", .string(site.id.lowercasedString)),
            ("tenant", .string(site.name)),
            ("userId", .string(user.guid.lowercasedString)),
            ("icBUId", .number(Double(site.tenant.businessUnit))),
            ("icAgentId", .string(String(user.id))),
            ("icSPId", .string("1")),
            ("icClusterId", .string(site.tenant.cluster)),
            ("icDomain", .string(endpoints.acdDomain)),
            ("area", .string(site.tenant.area)),
            ("name", .string(user.email.isEmpty ? user.username : user.email)),
            ("given_name", .string(given)),
            ("family_name", .string(family)),
            ("role", .object([
                "legacyId": .string(role.name),
                "id": .string(Self.roleID(role.name)),
                "lastUpdateTime": .number(Double(Int64(site.createdAt.timeIntervalSince1970) * 1000)),
                "secondaryRoles": .array([]),
            ])),
            ("views", .object([:])),
        ]
    }

    /// "Given Family" → ("Given", "Family"); one word is the given name.
    static func splitName(_ fullName: String) -> (String, String) {
        let trimmed = fullName.trimmingCharacters(in: .whitespaces)
        guard let space = trimmed.lastIndex(of: " ") else { return (trimmed, "") }
        return (String(trimmed[..<space]).trimmingCharacters(in: .whitespaces), String(trimmed[trimmed.index(after: space)...]))
    }

    /// A stable UUID per role name (roles are fixed, CXone gives each an id).
    static func roleID(_ name: String) -> String {
        UUID(version: 5, bytes: masterlessDigest("role:" + name.lowercased())).lowercasedString
    }

    private static func masterlessDigest(_ text: String) -> [UInt8] {
        Secrets.hmacSHA256(key: Array("tessera-role-id".utf8), message: Array(text.utf8))
    }

    // MARK: Issuing

    /// Issues an access token, an id_token and (unless `refresh` is false) a refresh token of `family`.
    /// `firstHand`: the user presented a credential of their own (an access key, a basic token); the tokens act with
    /// the user's role. Otherwise they are an application's, limited to `scope`. `expiresBy` caps the access token's
    /// expiry (a token exchange never outlives its subject). `signInSession` ties a code-flow session to the
    /// sign-in it came from, so that signing out ends it.
    public func issue(user: User, site: Site, clientID: String?, scope: String = "openid", authTime: Int64? = nil, nonce: String? = nil,
                      family: UUID = UUID(), refresh: Bool = true, firstHand: Bool = false, expiresBy: Int64? = nil,
                      signInSession: String? = nil, rotating spent: String? = nil) async throws -> IssuedTokens {
        let key = try await keyRing.signingKey(site: site.id)
        let issuedAt = now()
        let iat = Int64(issuedAt.timeIntervalSince1970)
        // The jti says when, to the millisecond, the token was issued (see `User.tokensValidAfter`).
        let issuedMillis = Self.milliseconds(issuedAt)
        var lifetimes = expertLifetimes(scope: scope) ?? (settings.accessTokenLifetime, settings.refreshTokenLifetime)
        if let expiresBy { lifetimes.access = max(0, min(lifetimes.access, expiresBy - iat)) }
        let exp = iat + lifetimes.access
        let claims = userClaims(user, site: site)
        let times: [(String, JSONValue)] = [("iat", .number(Double(iat))), ("exp", .number(Double(exp)))]
        var accessClaims = claims
        accessClaims.append(("aud", .string((clientID ?? Self.accessKeyAudience) + "@cxone")))
        accessClaims += times
        accessClaims.append(("jti", .string(TimeOrderedID.make(milliseconds: issuedMillis).lowercasedString)))
        // The session (refresh-token family), so that revoking a refresh token reaches the access tokens issued with it.
        accessClaims.append(("sid", .string(family.lowercasedString)))
        accessClaims.append(("scope", .string(scope)))
        if let clientID { accessClaims.append(("client_id", .string(clientID))) }
        if firstHand { accessClaims.append(("first_hand", .bool(true))) }
        accessClaims.append(("token_use", .string(TokenUse.access.rawValue)))
        let accessToken = try key.signJWT(claims: accessClaims)

        var idClaims = claims
        idClaims.append(("aud", .string(clientID ?? Self.accessKeyAudience)))
        idClaims += times
        if let authTime { idClaims.append(("auth_time", .number(Double(authTime)))) }
        if let nonce { idClaims.append(("nonce", .string(nonce))) }
        idClaims.append(("at_hash", .string(Self.atHash(accessToken))))
        idClaims.append(("token_use", .string(TokenUse.id.rawValue)))
        let idToken = try key.signJWT(claims: idClaims)

        var refreshToken: String?
        if refresh {
            let raw = Base64URL.encode(Secrets.randomBytes(32))
            let record = RefreshToken(
                hash: refreshHash(raw), familyID: family, siteID: site.id, userID: user.id, clientID: clientID, scope: scope,
                authTime: authTime ?? iat, createdAt: issuedAt, expiresAt: Date(timeIntervalSince1970: TimeInterval(iat + lifetimes.refresh)),
                firstHand: firstHand, signInSession: signInSession, issuedMillis: issuedMillis
            )
            if let spent {
                try await settleRotation(try await grants.rotateRefreshToken(spending: spent, at: issuedAt, successor: record))
            } else {
                try await grants.insertRefreshToken(record)
            }
            refreshToken = raw
        }
        return IssuedTokens(accessToken: accessToken, idToken: idToken, refreshToken: refreshToken, expiresIn: lifetimes.access,
                            refreshExpiresIn: lifetimes.refresh, familyID: family, scope: scope)
    }

    /// Expert's OAuth API token scopes (seed 002): `profile` lives 24 h with a 6.5-day refresh token; `seated`, which
    /// grants a Pro member's seat, "expires earlier": the site's access-token lifetime, same refresh. Other scopes
    /// (CXone's openid) use the configured lifetimes.
    func expertLifetimes(scope: String) -> (access: Int64, refresh: Int64)? {
        let scopes = Scope.set(scope)
        if scopes.contains(Scope.seated) { return (min(settings.accessTokenLifetime, 86_400), 561_600) }
        if scopes.contains(Scope.profile) { return (86_400, 561_600) }
        return nil
    }

    /// OIDC Core §3.1.3.6: base64url of the left half of SHA-256 of the access token.
    static func atHash(_ accessToken: String) -> String {
        Base64URL.encode(Secrets.sha256(Array(accessToken.utf8)).prefix(16))
    }

    /// The keyed hash under which a refresh token (or code) is stored.
    func refreshHash(_ raw: String) -> String {
        Secrets.hex(masterKey.derive256("refresh-token", raw))
    }

    /// The "Generate Key" token of seed 003: a short-lived JWT that can only be exchanged at
    /// `/public/user/refresh`, never used as a bearer token.
    public func basicToken(user: User, site: Site) async throws -> String {
        let key = try await keyRing.signingKey(site: site.id)
        let iat = epoch
        var claims = userClaims(user, site: site)
        claims += [("aud", .string(Self.accessKeyAudience)), ("iat", .number(Double(iat))), ("exp", .number(Double(iat + settings.basicTokenLifetime))),
                   ("jti", .string(UUID().lowercasedString)), ("token_use", .string(TokenUse.basic.rawValue))]
        return try key.signJWT(claims: claims)
    }

    // MARK: Refreshing

    /// The unspent, unrevoked refresh token a string names, without spending it.
    public func refreshToken(_ raw: String) async throws -> RefreshToken? {
        guard !raw.isEmpty, raw.utf8.count <= 512 else { return nil }
        return try await grants.refreshToken(hash: refreshHash(raw))
    }

    /// Rotates a refresh token: the presented one is spent, a new one of the same family comes back with new
    /// access and id tokens. A token presented a second time is a stolen token being replayed (or the legitimate
    /// client racing a thief): the whole session ends — every refresh token of the family and every access token
    /// issued in it. `clientID` is the authenticated client, if any: a token issued to a client needs that client;
    /// one issued to none (an access key's, a basic token's) refreshes without.
    public func refresh(_ raw: String, site: Site, clientID: String?) async throws(OAuthError) -> IssuedTokens {
        let invalid = OAuthError.invalidGrant("refresh token is invalid, expired or revoked")
        guard !raw.isEmpty, raw.utf8.count <= 512 else { throw invalid }
        let hash = refreshHash(raw)
        // Read, not spent: the token is spent in the same transaction that stores its successor (`issue(rotating:)`),
        // so no crash or failure in between can leave a client with a spent token and nothing in its place. A request
        // naming another client is refused and leaves the token as it was (only a spent token presented again is a
        // theft signal).
        let holder: RefreshToken?
        do { holder = try await grants.refreshToken(hash: hash) } catch { throw OAuthError.serverError(error) }
        guard let token = holder else {
            // Unknown, revoked or spent: spending (which changes nothing then) says which.
            do { try await settleRotation(try await grants.spendRefreshToken(hash: hash, at: now())) } catch let error as OAuthError {
                throw error
            } catch {
                throw OAuthError.serverError(error)
            }
            throw invalid
        }
        guard token.clientID == nil || token.clientID == clientID else { throw OAuthError.invalidGrant("refresh token was issued to another client") }
        guard token.siteID == site.id, token.expiresAt > now() else { throw invalid }
        do {
            guard let user = try await directory.user(site: site.id, id: token.userID), user.status == .active, !user.isAnonymous else {
                throw invalid
            }
            // A password change or a deactivation since this token was issued ended its session.
            guard token.issuedMillis >= user.tokensValidAfter else {
                try? await endSession(family: token.familyID, site: token.siteID)
                throw invalid
            }
            return try await issue(user: user, site: site, clientID: token.clientID, scope: token.scope, authTime: token.authTime,
                                   family: token.familyID, firstHand: token.firstHand, signInSession: token.signInSession, rotating: hash)
        } catch let error as OAuthError {
            throw error
        } catch {
            throw OAuthError.serverError(error)
        }
    }

    /// What spending a refresh token found, as the token endpoint answers it: spent now is the only success; spent
    /// before is a replay, which ends the whole session.
    private func settleRotation(_ outcome: SpendOutcome<RefreshToken>) async throws {
        switch outcome {
        case .spent:
            return
        case .unknown, .revoked:
            throw OAuthError.invalidGrant("refresh token is invalid, expired or revoked")
        case .alreadySpent(let token):
            try? await endSession(family: token.familyID, site: token.siteID)
            throw OAuthError.invalidGrant("refresh token was already used; every token of its grant is revoked")
        }
    }

    /// Ends a session (a refresh-token family): its refresh tokens stop refreshing, and the access tokens issued in
    /// it (which live at most one access-token lifetime from now) are listed as revoked on every instance.
    public func endSession(family: UUID, site: UUID) async throws {
        try await grants.revokeRefreshFamily(family)
        try await revocations.revoke(Revocation(siteID: site, reference: Revocation.family(family), expiresAt: epoch + settings.accessTokenLifetime))
    }

    // MARK: Verifying

    /// Verifies a bearer access token of this site: RS256 under a published key, this issuer, not expired, its
    /// user active. Throws `ServiceError.unauthenticated` (401) otherwise.
    public func verifyAccessToken(_ raw: String, site: Site) async throws -> VerifiedAccessToken {
        let (jwt, user) = try await verify(raw, site: site, use: .access)
        let jti = jwt.claims["jti"]?.string ?? ""
        // `sid` is the session's family id exactly as issued, so it names the revocation without being parsed.
        let session = jwt.claims["sid"]?.string.map(Revocation.family) ?? ""
        if try await revocations.isRevoked(site: site.id, Revocation.accessToken(jti: jti), session) {
            throw ServiceError.unauthenticated("access token revoked")
        }
        return VerifiedAccessToken(user: user, clientID: jwt.claims["client_id"]?.string, scope: jwt.claims["scope"]?.string ?? "openid",
                                   jti: jti, expires: jwt.time("exp") ?? 0, issuedAt: jwt.time("iat"),
                                   firstHand: jwt.claims["first_hand"] == .bool(true), sessionID: jwt.claims["sid"]?.string)
    }

    /// The user (guid) an id_token of this site names, read as a hint (`id_token_hint`): signature, issuer, tenant
    /// and kind are checked; expiry is not (OpenID Connect lets an expired id_token serve as a hint).
    public func idTokenHint(_ raw: String, site: Site) async -> UUID? {
        guard raw.utf8.count <= CompactJWT.maxLength, let jwt = CompactJWT.parse(raw), jwt.header["alg"]?.string == "RS256",
              let kid = jwt.header["kid"]?.string, kid.utf8.count <= 64,
              let key = try? await keyRing.verifyingKey(site: site.id, kid: kid), key.verifies(jwt),
              jwt.claims["token_use"]?.string == TokenUse.id.rawValue, jwt.claims["iss"]?.string == settings.oidcIssuer(of: site),
              jwt.claims["tenantId"]?.string == site.id.lowercasedString,
              let sub = jwt.claims["sub"]?.string, sub.hasPrefix("user:")
        else { return nil }
        return UUID(uuidString: String(sub.dropFirst(5)))
    }

    /// The client an id_token hint was issued to (its `aud`), for logout's redirect check.
    public func idTokenAudience(_ raw: String) -> String? {
        CompactJWT.parse(raw)?.audiences.first
    }

    /// Verifies a basic token from "Generate Key" and returns its user.
    public func verifyBasicToken(_ raw: String, site: Site) async throws -> User {
        try await verify(raw, site: site, use: .basic).1
    }

    /// What verifying a token established, kept per token string: an RSA verification costs more than the rest of
    /// a request. A token's claims never change, so a remembered token is re-checked only for what can: its expiry,
    /// its key still being published, and its user still being active.
    private struct Verified {
        var jwt: CompactJWT
        var site: UUID
        var kid: String
        var use: TokenUse
        var userID: Int
        var guid: UUID
        var expires: Int64
        /// When it was issued, in milliseconds: from its time-ordered jti, else its `iat`.
        var issuedMillis: Int64
    }

    private let verified = Mutex<[String: Verified]>([:])
    private static let maxVerified = 10_000

    private func verify(_ raw: String, site: Site, use: TokenUse) async throws -> (CompactJWT, User) {
        let now = epoch
        let checked: Verified
        if let hit = verified.withLock({ $0[raw] }), hit.site == site.id, hit.use == use,
           try await keyRing.verifyingKeys(site: site.id).contains(where: { $0.kid == hit.kid }) {
            checked = hit
        } else {
            checked = try await verifyFully(raw, site: site, use: use, now: now)
            verified.withLock { memo in
                if memo.count >= Self.maxVerified { memo.removeAll(keepingCapacity: true) }
                memo[raw] = checked
            }
        }
        guard checked.expires > now else { throw ServiceError.unauthenticated("access token expired") }
        guard let user = try await directory.user(site: site.id, id: checked.userID), user.guid == checked.guid else {
            throw ServiceError.unauthenticated("invalid access token")
        }
        guard user.status == .active else { throw ServiceError.unauthenticated(Self.deactivatedUser) }
        guard checked.issuedMillis >= user.tokensValidAfter else {
            throw ServiceError.unauthenticated("access token issued before a password change or a deactivation")
        }
        return (checked.jwt, user)
    }

    /// Signature under a published key of the site, then the claims: kind, issuer, tenant, times, subject.
    private func verifyFully(_ raw: String, site: Site, use: TokenUse, now: Int64) async throws -> Verified {
        let invalid = ServiceError.unauthenticated("invalid access token")
        guard let jwt = CompactJWT.parse(raw), jwt.header["alg"]?.string == "RS256", let kid = jwt.header["kid"]?.string, kid.utf8.count <= 64,
              let key = try await keyRing.verifyingKey(site: site.id, kid: kid), key.verifies(jwt)
        else { throw invalid }
        guard jwt.claims["token_use"]?.string == use.rawValue, jwt.claims["iss"]?.string == settings.oidcIssuer(of: site),
              jwt.claims["tenantId"]?.string == site.id.lowercasedString,
              let exp = jwt.time("exp"), exp > now, let iat = jwt.time("iat"), iat <= now + 300,
              let agent = jwt.claims["icAgentId"]?.string, agent.utf8.count <= 10, let userID = Int(agent),
              let sub = jwt.claims["sub"]?.string, sub.hasPrefix("user:"), let guid = UUID(uuidString: String(sub.dropFirst(5)))
        else { throw ServiceError.unauthenticated("access token expired or not for this site") }
        let issuedMillis = jwt.claims["jti"]?.string.flatMap(TimeOrderedID.milliseconds(of:)) ?? iat * 1000
        return Verified(jwt: jwt, site: site.id, kid: kid, use: use, userID: userID, guid: guid, expires: exp, issuedMillis: issuedMillis)
    }

    /// True for a token signed by this service (an RS256 JWT of Tessera's), whichever kind it is.
    /// Compares the header's stable prefix (every token signed here starts `{"alg":"RS256","typ":"JWT","kid":"`),
    /// since this runs for every bearer JWT. Other RS256 tokens are not Tessera's and fail whichever verifier gets them.
    public static func isCXoneToken(_ raw: String) -> Bool {
        raw.utf8.starts(with: headerPrefix.utf8)
    }

    /// base64url of the header's first 33 bytes (a multiple of 3, so its encoding never depends on what follows).
    static let headerPrefix = Base64URL.encode(Array(#"{"alg":"RS256","typ":"JWT","kid":""#.utf8).prefix(33))
}
