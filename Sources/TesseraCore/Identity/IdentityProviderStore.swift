import Foundation

/// The OpenID Connect providers each site trusts for identity token exchange, and the links from their identities
/// to local users.
public protocol IdentityProviderStore: Sendable {
    /// Throws `StoreError.conflict` when the site already trusts this issuer.
    func createIdentityProvider(_ provider: IdentityProvider) async throws
    func identityProviders(site: UUID) async throws -> [IdentityProvider]
    func deleteIdentityProvider(site: UUID, issuer: String) async throws -> Bool

    /// Throws `StoreError.conflict` when the identity is linked already.
    func createIdentityLink(_ link: IdentityLink) async throws
    func identityLink(site: UUID, issuer: String, subject: String) async throws -> IdentityLink?
    /// Every link of a site (or of one user), oldest first.
    func identityLinks(site: UUID, userID: Int?) async throws -> [IdentityLink]
    func deleteIdentityLink(site: UUID, issuer: String, subject: String) async throws -> Bool
}
