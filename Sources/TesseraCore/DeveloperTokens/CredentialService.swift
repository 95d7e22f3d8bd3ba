import Foundation
import Synchronization
import TesseraCrypto

/// Verifies the developer-token credentials a request can carry: server-token signatures, long-term JWTs and
/// browser keys. Reads come from the `Directory` cache, so the common path makes no store round trip.
public final class CredentialService: Sendable {
    public static let longTermAudience = "auth-service-Server"
    /// Ten calendar years (UTC) after `iat`, as in seed 000's example (iat 1739985649, exp 2055518449).
    static func longTermExpiry(issuedAt iat: Int64) -> Int64 {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        let issued = Date(timeIntervalSince1970: TimeInterval(iat))
        return Int64((calendar.date(byAdding: .year, value: 10, to: issued) ?? issued.addingTimeInterval(315_532_800)).timeIntervalSince1970)
    }

    private let directory: Directory
    private let masterKey: MasterKey
    private let settings: Settings
    private let now: @Sendable () -> Date

    /// What verifying a long-term JWT's signature and claims established, kept per JWT string. It stays true
    /// exactly as long as the token keeps the JWT salt it was checked against, which every use re-checks against
    /// the (cached, change-invalidated) token record: a deleted token or a renewed JWT is refused at once.
    private struct VerifiedJWT {
        var site: UUID
        var tokenID: Int
        var salt: String
        var expires: Int64
        var issuedAt: Int64?
    }

    private let verifiedJWTs = Mutex<[String: VerifiedJWT]>([:])
    private static let maxVerifiedJWTs = 10_000

    public init(directory: Directory, masterKey: MasterKey, settings: Settings, now: @escaping @Sendable () -> Date = { Date() }) {
        self.directory = directory
        self.masterKey = masterKey
        self.settings = settings
        self.now = now
    }

    // MARK: Derived secrets

    /// A server token's secret: never stored, derived from the master key and the token's salt (and kept in
    /// memory per key and salt, since every signed request needs it).
    public func serverTokenSecret(_ token: DeveloperToken) -> String? {
        guard token.type == .server, let salt = token.secretSalt else { return nil }
        let memoKey = SecretMemoKey(site: token.siteID, key: token.key, salt: salt)
        if let known = derivedSecrets.withLock({ $0[memoKey] }) { return known }
        let secret = Secrets.hex(masterKey.derive256("server-token-secret", token.siteID.lowercasedString, token.key, salt))
        derivedSecrets.withLock { memo in
            if memo.count >= Self.maxVerifiedJWTs { memo.removeAll(keepingCapacity: true) }
            memo[memoKey] = secret
        }
        return secret
    }

    private struct SecretMemoKey: Hashable {
        var site: UUID
        var key: String
        var salt: String
    }

    private let derivedSecrets = Mutex<[SecretMemoKey: String]>([:])

    /// The HS512 key of a server token's long-term JWT.
    func longTermKey(_ token: DeveloperToken, salt: String) -> [UInt8] {
        masterKey.derive512("long-term-jwt", token.siteID.lowercasedString, String(token.id), salt)
    }

    /// The keyed hash under which an OAuth client secret is stored.
    public func clientSecretHash(_ secret: String) -> String {
        Secrets.hex(masterKey.derive256("client-secret", secret))
    }

    // MARK: Server-token signatures

    /// Resolves an `X-Deki-Token` signature to the user it runs as. With `allowJustInTime`, a `=username` that does
    /// not exist yet is created (sign-in through `users/authenticate`).
    public func verifySignature(_ raw: String, site: Site, allowJustInTime: Bool = false) async throws -> (user: User, token: DeveloperToken) {
        switch try await resolveSignature(raw, site: site) {
        case .user(let user, let token):
            return (user, token)
        case .notYetCreated(let name, let token):
            guard allowJustInTime else { throw ServiceError.unauthenticated("unknown user in signature") }
            let user = try await directory.provisionUser(site: site.id, username: name, fullName: "", email: "", now: now())
            return (user, token)
        }
    }

    /// What a valid signature names: an existing user, or — for a server token not restricted to a user — a
    /// `=username` that does not exist yet (Expert answers `users/current` as the anonymous user then, and
    /// `users/authenticate` creates it).
    public enum SignedUser: Sendable {
        case user(User, DeveloperToken)
        case notYetCreated(String, DeveloperToken)
    }

    public func resolveSignature(_ raw: String, site: Site) async throws -> SignedUser {
        guard let signature = RequestSignature.parse(raw) else { throw ServiceError.unauthenticated("malformed X-Deki-Token signature") }
        guard let token = try await directory.developerToken(site: site.id, key: signature.key), token.type == .server,
              let secret = serverTokenSecret(token)
        else { throw ServiceError.unauthenticated("unknown server token") }
        guard signature.verifies(secret: secret) else { throw ServiceError.unauthenticated("invalid X-Deki-Token signature") }
        let skew = Int64(now().timeIntervalSince1970) - signature.epoch
        guard abs(skew) <= settings.signatureWindow else {
            throw ServiceError.unauthenticated(skew > 0 ? "X-Deki-Token signature expired" : "X-Deki-Token signature is dated in the future")
        }
        switch try await signedUser(signature.user, site: site, token: token) {
        case .notYetCreated(let name, let token):
            return .notYetCreated(name, token)
        case .user(let user, _):
            if let restricted = token.restrictedUserID, restricted != user.id {
                throw ServiceError.forbidden("this server token is restricted to another user")
            }
            guard user.status == .active else { throw ServiceError.forbidden("User '\(user.username)' is disabled") }
            return .user(user, token)
        }
    }

    private func signedUser(_ segment: String, site: Site, token: DeveloperToken) async throws -> SignedUser {
        // Percent-decoding is slow in Foundation and rarely needed: only when the segment has a '%'.
        let decoded = segment.utf8.contains(UInt8(ascii: "%")) ? (segment.removingPercentEncoding ?? segment) : segment
        guard let reference = UserReference.parse(decoded.hasPrefix("=") ? decoded : segment) else {
            throw ServiceError.unauthenticated("the signature's user must be a numeric id or =username")
        }
        switch reference {
        case .id(let id):
            // A numeric id names an account that must exist: only names are created just in time.
            guard let user = try await directory.user(site: site.id, id: id) else { throw ServiceError.unauthenticated("unknown user in signature") }
            return .user(user, token)
        case .username(let name):
            if let user = try await directory.user(site: site.id, username: name) { return .user(user, token) }
            // A token restricted to one user never stands for another, let alone a new one.
            guard token.restrictedUserID == nil else { throw ServiceError.forbidden("this server token is restricted to another user") }
            return .notYetCreated(name, token)
        }
    }

    // MARK: Long-term JWTs

    /// Issues the long-term JWT of a server token (whose `jwtSalt` is set): HS512, kid = the token's id, claims as
    /// seed 000 writes them (times as strings, nbf one second before iat).
    public func issueLongTermJWT(_ token: DeveloperToken, site: Site) -> String? {
        guard token.type == .server, let salt = token.jwtSalt else { return nil }
        let iat = Int64(now().timeIntervalSince1970)
        return CompactJWT.signHS512(
            header: [("alg", .string("HS512")), ("kid", .string(String(token.id))), ("typ", .string("JWT"))],
            claims: [
                ("sub", .string(token.key)), ("aud", .string(Self.longTermAudience)),
                ("exp", .string(String(Self.longTermExpiry(issuedAt: iat)))), ("iss", .string(settings.issuer(of: site))),
                ("iat", .string(String(iat))), ("nbf", .string(String(iat - 1))),
            ],
            key: longTermKey(token, salt: salt)
        )
    }

    /// Resolves a long-term JWT to its user, with seed 001's three 403 messages.
    public func verifyLongTermJWT(_ raw: String, site: Site) async throws -> (user: User, token: DeveloperToken) {
        let now = Int64(self.now().timeIntervalSince1970)
        if let known = verifiedJWTs.withLock({ $0[raw] }), known.site == site.id {
            guard let token = try await directory.developerToken(site: site.id, id: known.tokenID), token.jwtSalt == known.salt,
                  known.expires > now - 300
            else { throw ServiceError.forbidden("invalid json web token") }
            return (try await boundUser(token, site: site), token)
        }
        let (user, token, expires, issuedAt) = try await verifyLongTermJWTFully(raw, site: site, now: now)
        verifiedJWTs.withLock { cache in
            if cache.count >= Self.maxVerifiedJWTs { cache.removeAll(keepingCapacity: true) }
            cache[raw] = VerifiedJWT(site: site.id, tokenID: token.id, salt: token.jwtSalt ?? "", expires: expires, issuedAt: issuedAt)
        }
        return (user, token)
    }

    /// The `exp` and `iat` of a long-term JWT that verified a moment ago (for introspection), from memory.
    public func verifiedTimes(ofLongTermJWT raw: String) -> (expires: Int64, issuedAt: Int64?)? {
        verifiedJWTs.withLock { $0[raw] }.map { ($0.expires, $0.issuedAt) }
    }

    private func verifyLongTermJWTFully(_ raw: String, site: Site, now: Int64) async throws -> (User, DeveloperToken, Int64, Int64?) {
        guard let jwt = CompactJWT.parse(raw) else { throw ServiceError.forbidden("Unable to parse JWT token") }
        let invalid = ServiceError.forbidden("invalid json web token")
        guard jwt.header["alg"]?.string == "HS512", let kid = jwt.header["kid"]?.string, kid.count <= 10, let id = Int(kid),
              let token = try await directory.developerToken(site: site.id, id: id), token.type == .server,
              let salt = token.jwtSalt, jwt.verifiesHS512(key: longTermKey(token, salt: salt))
        else { throw invalid }
        let skew: Int64 = 300
        guard jwt.claims["aud"]?.string == Self.longTermAudience || jwt.claims["aud"] == .array([.string(Self.longTermAudience)]),
              jwt.claims["sub"]?.string == token.key, jwt.claims["iss"]?.string == settings.issuer(of: site),
              let exp = jwt.time("exp"), exp > now - skew,
              jwt.time("nbf").map({ $0 <= now + skew }) ?? true, jwt.time("iat").map({ $0 <= now + skew }) ?? true
        else { throw invalid }
        return (try await boundUser(token, site: site), token, exp, jwt.time("iat"))
    }

    /// The user a server token's JWT acts as: active and with a license seat.
    private func boundUser(_ token: DeveloperToken, site: Site) async throws -> User {
        guard let userID = token.restrictedUserID, let user = try await directory.user(site: site.id, id: userID),
              user.status == .active, user.hasSeat
        else { throw ServiceError.forbidden("invalid user requesting") }
        return user
    }

    // MARK: Browser tokens

    /// The browser token with this key; 403 when there is none.
    public func browserToken(key: String, site: Site) async throws -> DeveloperToken {
        guard key.utf8.count <= 255, let token = try await directory.developerToken(site: site.id, key: key), token.type == .browser else {
            throw ServiceError.forbidden("invalid browser token")
        }
        return token
    }

    /// True when any browser token of the site allows this Origin (for CORS preflight, which carries no token).
    public func anyBrowserTokenAllows(origin: String, site: Site) async throws -> Bool {
        guard let origin = Origin.parse(origin) else { return false }
        return try await directory.browserTokens(site: site.id).contains { $0.allows(origin) }
    }
}

extension DeveloperToken {
    /// True when one of the token's host patterns admits this Origin.
    public func allows(_ origin: Origin) -> Bool {
        hostPatterns.contains { $0.matches(origin) }
    }
}
