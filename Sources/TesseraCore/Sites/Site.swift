import Foundation

/// A site is a tenant: every user, token and setting belongs to exactly one site.
public struct Site: Sendable, Equatable, Identifiable {
    public var id: UUID
    public var name: String
    /// Lower-case host names (no port) that route requests to this site.
    public var hostnames: [String]
    /// The site that answers requests whose Host matches no other site. Exactly one site is the default.
    public var isDefault: Bool
    /// Key of the HMAC that signs this site's auth tokens, sign-in sessions and CSRF tokens. Secret: never logged or
    /// rendered. In the store it is sealed (`SiteKeySeal`); `SiteDirectory` hands out sites with it opened.
    public var authTokenKey: [UInt8]
    public var createdAt: Date
    /// The site seen as a CXone tenant: business unit, area and cluster (the tenant id is `id`, its name `name`).
    public var tenant: TenantProfile
    /// Expert's legacy tokens (site API key, impersonation auth tokens): off unless an administrator turns them on.
    public var legacyTokens: LegacyTokenSettings
    /// The logo and colour of the sign-in page.
    public var branding: SiteBranding

    public init(id: UUID, name: String, hostnames: [String], isDefault: Bool, authTokenKey: [UInt8], createdAt: Date,
                tenant: TenantProfile = TenantProfile(), legacyTokens: LegacyTokenSettings = LegacyTokenSettings(),
                branding: SiteBranding = SiteBranding()) {
        self.branding = branding
        self.id = id
        self.name = name
        self.hostnames = hostnames
        self.isDefault = isDefault
        self.authTokenKey = authTokenKey
        self.createdAt = createdAt
        self.tenant = tenant
        self.legacyTokens = legacyTokens
    }
}
