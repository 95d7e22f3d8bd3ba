import Foundation

/// Sites (tenants) and their settings.
public protocol SiteStore: Sendable {
    /// Creates the default site with its first users (administrator, anonymous) unless a default site already
    /// exists. Atomic across instances. Returns true when this call created it.
    func bootstrapDefaultSite(_ site: Site, users: [User]) async throws -> Bool
    /// Creates a further site with its first users. Throws `StoreError.conflict` when a host name is taken.
    func createSite(_ site: Site, users: [User]) async throws
    func sites() async throws -> [Site]
    func site(id: UUID) async throws -> Site?
    /// Changes a site's CXone tenant profile. Throws `StoreError.notFound`.
    func updateTenant(site: UUID, _ tenant: TenantProfile) async throws
    /// Changes a site's sign-in branding. Throws `StoreError.notFound`.
    func updateBranding(site: UUID, _ branding: SiteBranding) async throws
    /// Changes a site's legacy-token settings. Throws `StoreError.notFound`.
    func updateLegacyTokens(site: UUID, _ settings: LegacyTokenSettings) async throws
    /// Replaces a site's stored auth-token key (sealing one stored in clear). Throws `StoreError.notFound`.
    func updateAuthTokenKey(site: UUID, _ stored: [UInt8]) async throws
}
