import Foundation

/// Server-wide settings that services need.
public struct Settings: Sendable {
    /// Lifetime of a sign-in auth token, in seconds (Expert's default: 6.5 days).
    public var authTokenLifetime: Int64
    /// Base URL used in issued tokens and links, without a trailing slash.
    public var publicURL: String
    /// Browsers reach this server over https: cookies are then marked Secure.
    public var usesHTTPS: Bool { publicURL.lowercased().hasPrefix("https://") }

    /// How far a server-token signature's epoch may be from now, in seconds.
    public var signatureWindow: Int64

    /// Lifetimes of CXone tokens, in seconds: access tokens and id_tokens, refresh tokens, "Generate Key" basic tokens.
    public var accessTokenLifetime: Int64
    public var refreshTokenLifetime: Int64
    public var basicTokenLifetime: Int64
    /// The public endpoints of each CXone area, for cxone-configuration and token claims.
    public var areas: AreaEndpoints
    /// The reverse proxies whose forwarding headers name the client's address.
    public var trustedProxies = TrustedProxies()
    /// Days the audit trail keeps an event.
    public var auditRetentionDays = 90

    public init(authTokenLifetime: Int64 = 561_600, publicURL: String, signatureWindow: Int64 = 300, accessTokenLifetime: Int64 = 3600,
                refreshTokenLifetime: Int64 = 86_400, basicTokenLifetime: Int64 = 3600, areas: AreaEndpoints = AreaEndpoints()) {
        self.authTokenLifetime = authTokenLifetime
        self.publicURL = publicURL.hasSuffix("/") ? String(publicURL.dropLast()) : publicURL
        self.signatureWindow = signatureWindow
        self.accessTokenLifetime = accessTokenLifetime
        self.refreshTokenLifetime = refreshTokenLifetime
        self.basicTokenLifetime = basicTokenLifetime
        self.areas = areas
    }

    /// The OpenID Connect issuer of a site: its base URL, no trailing slash (CXone's `iss` has none).
    public func oidcIssuer(of site: Site) -> String { baseURL(of: site) }

    /// The public endpoints that serve a site's area: configured ones, else this server itself.
    public func endpoints(of site: Site) -> AreaEndpoints.Endpoints {
        if let configured = areas.byArea[site.tenant.area] { return configured }
        let base = baseURL(of: site)
        let host = URLComponents(string: base)?.host ?? "localhost"
        return AreaEndpoints.Endpoints(ui: base, auth: base, api: base, domain: host, acdDomain: host, uhDomain: host)
    }

    /// The base URL of a site: the public URL for the default site, else the public URL's scheme (and port) with
    /// the site's first host name.
    public func baseURL(of site: Site) -> String {
        guard !site.isDefault, let host = site.hostnames.first, var parts = URLComponents(string: publicURL) else { return publicURL }
        parts.host = host
        parts.path = ""
        return parts.string ?? publicURL
    }

    /// The `iss` of tokens a site issues: its base URL with a trailing slash, as in seed 000's example.
    public func issuer(of site: Site) -> String { baseURL(of: site) + "/" }
}
