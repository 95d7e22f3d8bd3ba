import Foundation
import Synchronization
import TesseraCrypto

/// Identity token exchange: an ID token signed by a trusted provider becomes a user of the site (created just in
/// time), as Expert's `/@app/auth/token/exchange` and RFC 8693's token-exchange grant do.
///
/// Validation follows OpenID Connect Core §3.1.3.7: the issuer must be one the site trusts, the signature must
/// verify under one of its keys (RS256/384/512, ES256/384), the audience must include the configured one, and
/// exp, iat and nbf must hold with 300 s of clock skew.
public final class IdentityExchangeService: Sendable {
    public static let clockSkew: Int64 = 300
    /// Provider keys are re-read this often, and at most this often when a token names an unknown kid.
    static let keysLifetime: TimeInterval = 300
    static let unknownKidRefetch: TimeInterval = 30

    private let providers: any IdentityProviderStore
    private let users: any UserStore
    private let directory: Directory
    private let audit: AuditLog
    private let now: @Sendable () -> Date

    private let keySets: ForeignKeySet

    /// `fetch` reads a JWKS URL (the server gives it an HTTP client with a short timeout).
    public init(providers: any IdentityProviderStore, users: any UserStore, directory: Directory, audit: AuditLog, fetch: @escaping @Sendable (String) async throws -> [UInt8],
                now: @escaping @Sendable () -> Date = { Date() }) {
        self.providers = providers
        self.users = users
        self.directory = directory
        self.audit = audit
        self.keySets = ForeignKeySet(fetch: fetch, maxAge: Self.keysLifetime, unknownKidInterval: Self.unknownKidRefetch, now: now)
        self.now = now
    }

    // MARK: Providers

    /// Adds a trusted provider after checking its fields (and that a static JWK Set holds a usable key).
    public func addProvider(site: Site, issuer: String, audience: String, jwksURL: String?, staticJWKS: String?,
                            claims: IdentityProvider.ClaimMapping = .init()) async throws -> IdentityProvider {
        guard let parts = URLComponents(string: issuer), parts.scheme == "https" || parts.scheme == "http", parts.host?.isEmpty == false,
              issuer.utf8.count <= 512
        else { throw ServiceError.invalidInput("issuer must be an http(s) URL") }
        guard !audience.isEmpty, audience.utf8.count <= 512 else { throw ServiceError.invalidInput("audience must be 1 to 512 characters") }
        guard (jwksURL == nil) != (staticJWKS == nil) else { throw ServiceError.invalidInput("give either a JWKS URL or a JWK Set") }
        if let jwksURL {
            guard let url = URLComponents(string: jwksURL), url.scheme == "https" || url.scheme == "http", url.host?.isEmpty == false else {
                throw ServiceError.invalidInput("the JWKS URL must be an http(s) URL")
            }
        }
        if let staticJWKS {
            guard let keys = ForeignVerifyingKey.keySet(Array(staticJWKS.utf8)), !keys.isEmpty else {
                throw ServiceError.invalidInput("the JWK Set holds no usable signing key (RSA ≥ 2048 bits, EC P-256 or P-384)")
            }
        }
        for claim in [claims.username, claims.givenName, claims.familyName, claims.email] where claim.isEmpty || claim.utf8.count > 64 {
            throw ServiceError.invalidInput("claim names must be 1 to 64 characters")
        }
        let provider = IdentityProvider(siteID: site.id, issuer: issuer, audience: audience, jwksURL: jwksURL, staticJWKS: staticJWKS,
                                        claims: claims, createdAt: now())
        do { try await providers.createIdentityProvider(provider) } catch StoreError.conflict {
            throw ServiceError.conflict("the site already trusts \(issuer)")
        }
        return provider
    }

    // MARK: Exchange

    /// What a validated ID token says about its user.
    public struct Identity: Sendable {
        public var provider: IdentityProvider
        /// The provider's `sub`: with its issuer, what the identity is linked by.
        public var subject: String
        public var username: String
        public var fullName: String
        public var email: String
    }

    /// Validates an ID token of a trusted provider. Throws 400 for input that is not a usable ID token (not a JWT,
    /// missing name claims) and 403 for one that is refused (issuer, signature, audience, times).
    public func validate(_ raw: String, site: Site) async throws -> Identity {
        guard let jwt = CompactJWT.parse(raw) else { throw ServiceError.invalidInput("the body is not a JWT (an OpenID Connect ID token)") }
        guard let alg = jwt.header["alg"]?.string, ForeignVerifyingKey.algorithms.contains(alg) else {
            throw ServiceError.forbidden("the ID token's signature algorithm is not accepted (use RS256, RS384, RS512, ES256 or ES384)")
        }
        guard let issuer = jwt.claims["iss"]?.string, !issuer.isEmpty else { throw ServiceError.invalidInput("the ID token has no iss claim") }
        guard let provider = try await providers.identityProviders(site: site.id).first(where: { $0.issuer == issuer }) else {
            throw ServiceError.forbidden("the ID token's issuer is not a trusted identity provider of this site")
        }
        guard try await verifySignature(jwt, provider: provider) else {
            throw ServiceError.forbidden("the ID token's signature does not verify under the identity provider's keys")
        }
        let audiences = jwt.audiences
        guard audiences.contains(provider.audience) else { throw ServiceError.forbidden("the ID token's audience does not include \(provider.audience)") }
        let epoch = Int64(now().timeIntervalSince1970)
        guard let exp = jwt.time("exp") else { throw ServiceError.invalidInput("the ID token has no exp claim") }
        guard exp > epoch - Self.clockSkew else { throw ServiceError.forbidden("the ID token expired") }
        guard let iat = jwt.time("iat") else { throw ServiceError.invalidInput("the ID token has no iat claim") }
        guard iat <= epoch + Self.clockSkew else { throw ServiceError.forbidden("the ID token's iat is in the future") }
        if jwt.claims["nbf"] != nil {
            guard let nbf = jwt.time("nbf"), nbf <= epoch + Self.clockSkew else { throw ServiceError.forbidden("the ID token is not valid yet (nbf)") }
        }
        guard let subject = jwt.claims["sub"]?.string, !subject.isEmpty, subject.utf8.count <= 255 else {
            throw ServiceError.invalidInput("the ID token has no sub claim")
        }
        let mapping = provider.claims
        guard let username = jwt.claims[mapping.username]?.string, !username.isEmpty else {
            throw ServiceError.invalidInput("the ID token has no \(mapping.username) claim for the username")
        }
        guard let given = jwt.claims[mapping.givenName]?.string, let family = jwt.claims[mapping.familyName]?.string else {
            throw ServiceError.invalidInput("the ID token needs \(mapping.givenName) and \(mapping.familyName) claims")
        }
        let fullName = [given, family].map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }.joined(separator: " ")
        let email = jwt.claims[mapping.email]?.string ?? ""
        return Identity(provider: provider, subject: subject, username: Usernames.normalised(username), fullName: fullName,
                        email: (try? UserRules.validateEmail(email)) != nil ? email : "")
    }

    /// Validates the ID token and returns its user, created just in time or brought up to date (name, email).
    public func exchange(_ raw: String, site: Site, clientAddress: String) async throws -> User {
        do {
            let identity = try await validate(raw, site: site)
            let user = try await provision(identity, site: site)
            audit.record(AuditEvent(siteID: site.id, action: "identity.exchange", outcome: "success", actorUserID: user.id, tokenID: nil,
                                    clientAddress: clientAddress, detail: "issuer \(identity.provider.issuer)"))
            return user
        } catch let error as ServiceError {
            if case .unavailable = error { throw error }
            audit.record(AuditEvent(siteID: site.id, action: "identity.exchange", outcome: "refused", actorUserID: nil, tokenID: nil,
                                    clientAddress: clientAddress, detail: error.message))
            throw error
        }
    }

    /// The user an identity is linked to, its name and e-mail brought up to date; or, for an identity never seen, a
    /// new user linked to it. A username alone never adopts an account: when the name is taken by an account the
    /// identity is not linked to, the exchange is refused (an administrator may link them).
    private func provision(_ identity: Identity, site: Site) async throws -> User {
        let issuer = identity.provider.issuer
        if let link = try await providers.identityLink(site: site.id, issuer: issuer, subject: identity.subject) {
            guard var user = try await directory.user(site: site.id, id: link.userID), !user.isAnonymous else {
                throw ServiceError.forbidden("the account linked to this identity no longer exists")
            }
            guard user.status == .active else { throw ServiceError.forbidden("User '\(user.username)' is disabled") }
            let fullName = (try? UserRules.validateFullName(identity.fullName)) != nil ? identity.fullName : user.fullName
            let email = identity.email.isEmpty ? user.email : identity.email
            if user.fullName != fullName || user.email != email {
                user.fullName = fullName
                user.email = email
                try await users.updateUser(user)
            }
            return user
        }
        try UserRules.validateUsername(identity.username)
        if try await directory.user(site: site.id, username: identity.username) != nil {
            throw ServiceError.forbidden("the username '\(identity.username)' belongs to an account that is not linked to this identity; "
                                         + "an administrator can link them")
        }
        let user: User
        do {
            user = try await directory.provisionUser(site: site.id, username: identity.username, fullName: identity.fullName,
                                                     email: identity.email, now: now(), adoptExisting: false)
        } catch StoreError.conflict {
            throw ServiceError.forbidden("the username '\(identity.username)' belongs to an account that is not linked to this identity; "
                                         + "an administrator can link them")
        }
        do {
            try await providers.createIdentityLink(IdentityLink(siteID: site.id, issuer: issuer, subject: identity.subject, userID: user.id,
                                                                createdAt: now()))
        } catch StoreError.conflict {
            // The same identity's first exchange ran twice at once: the other one linked it first.
            return try await provision(identity, site: site)
        }
        return user
    }

    // MARK: Links

    /// Links an identity to an existing user: an administrator's decision, made with their own credential (an
    /// application's token never links), or the operator's at the command line (`caller` nil).
    public func link(site: Site, issuer: String, subject: String, username: String, caller: Caller?, clientAddress: String) async throws
        -> IdentityLink {
        if let caller {
            try caller.require(.admin)
            try caller.requireFirstHand("linking an identity to an account")
        }
        guard try await providers.identityProviders(site: site.id).contains(where: { $0.issuer == issuer }) else {
            throw ServiceError.notFound("no trusted identity provider with that issuer")
        }
        guard !subject.isEmpty, subject.utf8.count <= 255 else { throw ServiceError.invalidInput("subject must be 1 to 255 characters") }
        guard let user = try await directory.user(site: site.id, username: Usernames.normalised(username)), !user.isAnonymous else {
            throw ServiceError.notFound("no user \(username.prefix(64))")
        }
        let link = IdentityLink(siteID: site.id, issuer: issuer, subject: subject, userID: user.id, createdAt: now())
        do { try await providers.createIdentityLink(link) } catch StoreError.conflict {
            throw ServiceError.conflict("that identity is linked already; unlink it first")
        }
        audit.record(AuditEvent(siteID: site.id, at: now(), action: "identity.link", outcome: "success", actorUserID: caller?.user.id, tokenID: nil,
                                clientAddress: clientAddress, detail: "issuer \(issuer.prefix(200)) linked to user \(user.id)"))
        return link
    }

    public func unlink(site: Site, issuer: String, subject: String, caller: Caller?, clientAddress: String) async throws {
        if let caller {
            try caller.require(.admin)
            try caller.requireFirstHand("unlinking an identity from an account")
        }
        guard try await providers.deleteIdentityLink(site: site.id, issuer: issuer, subject: subject) else {
            throw ServiceError.notFound("no such identity link")
        }
        audit.record(AuditEvent(siteID: site.id, at: now(), action: "identity.unlink", outcome: "success", actorUserID: caller?.user.id, tokenID: nil,
                                clientAddress: clientAddress, detail: "issuer \(issuer.prefix(200))"))
    }

    public func links(site: Site, caller: Caller?) async throws -> [IdentityLink] {
        try caller?.require(.admin)
        return try await providers.identityLinks(site: site.id, userID: nil)
    }

    // MARK: Keys

    private func verifySignature(_ jwt: CompactJWT, provider: IdentityProvider) async throws -> Bool {
        try await keySets.verifies(jwt, staticJWKS: provider.staticJWKS, url: provider.jwksURL, owner: "the identity provider")
    }
}
