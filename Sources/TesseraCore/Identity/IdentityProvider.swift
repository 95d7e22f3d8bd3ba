import Foundation
import Synchronization
import TesseraCrypto

/// An OpenID Connect provider a site trusts for identity token exchange: its issuer, the audience its ID tokens
/// must name, where its keys are (a JWKS URL, or a JWK Set stored with it), and which claims carry the user.
public struct IdentityProvider: Sendable, Equatable {
    public var siteID: UUID
    public var issuer: String
    public var audience: String
    public var jwksURL: String?
    /// A JWK Set (JSON) given when the provider was added; used when there is no URL.
    public var staticJWKS: String?
    public var claims: ClaimMapping
    public var createdAt: Date

    public init(siteID: UUID, issuer: String, audience: String, jwksURL: String?, staticJWKS: String?, claims: ClaimMapping, createdAt: Date) {
        self.siteID = siteID
        self.issuer = issuer
        self.audience = audience
        self.jwksURL = jwksURL
        self.staticJWKS = staticJWKS
        self.claims = claims
        self.createdAt = createdAt
    }

    /// Which ID-token claims become the username, the name and the email (seed 002: sub, given_name,
    /// family_name, email).
    public struct ClaimMapping: Sendable, Equatable, Codable {
        public var username = "sub"
        public var givenName = "given_name"
        public var familyName = "family_name"
        public var email = "email"

        public init(username: String = "sub", givenName: String = "given_name", familyName: String = "family_name", email: String = "email") {
            self.username = username
            self.givenName = givenName
            self.familyName = familyName
            self.email = email
        }
    }
}
