import Foundation

/// The OpenID Connect providers each site trusts for identity token exchange.
public protocol IdentityProviderStore: Sendable {
    /// Throws `StoreError.conflict` when the site already trusts this issuer.
    func createIdentityProvider(_ provider: IdentityProvider) async throws
    func identityProviders(site: UUID) async throws -> [IdentityProvider]
    func deleteIdentityProvider(site: UUID, issuer: String) async throws -> Bool
}
