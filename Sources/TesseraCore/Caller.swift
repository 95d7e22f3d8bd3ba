import Foundation

/// How the caller of a request proved who it is.
public enum CredentialKind: String, Sendable {
    case anonymous
    /// An `authtoken` from sign-in, as a cookie or a bearer token.
    case authToken = "authtoken"
    /// A server-token request signature in `X-Deki-Token`.
    case serverToken = "server-token"
    /// A long-term JWT of a server token, as a bearer token.
    case longTermJWT = "long-term-jwt"
    /// A CXone access token (RS256 JWT) from the token endpoints, as a bearer token.
    case accessToken = "access-token"
    /// The legacy site API key, acting as the user `impersonateuserid` names.
    case legacyAPIKey = "legacy-api-key"
    /// A legacy impersonation auth token (`imp_...`).
    case impersonation = "legacy-impersonation"
}

/// The resolved identity a request runs as: exactly one user of exactly one site.
public struct Caller: Sendable {
    public var site: Site
    public var user: User
    public var kind: CredentialKind

    public init(site: Site, user: User, kind: CredentialKind) {
        self.site = site
        self.user = user
        self.kind = kind
    }

    public var isAnonymous: Bool { user.isAnonymous }

    /// Throws 401 for the anonymous caller and 403 for a signed-in caller without the permission.
    public func require(_ permission: Permission) throws(ServiceError) {
        guard !isAnonymous else { throw .unauthenticated("authentication required") }
        guard user.can(permission) else { throw .forbidden("access denied: \(permission.displayName) permission required") }
    }
}

/// How a request names a user: by numeric id or by `=username`.
public enum UserReference: Sendable, Equatable {
    case id(Int)
    case username(String)

    /// Parses a path segment: digits, or `=` followed by a (percent-decoded) username.
    public static func parse(_ segment: String) -> UserReference? {
        if segment.hasPrefix("=") {
            let name = String(segment.dropFirst())
            let decoded = name.utf8.contains(UInt8(ascii: "%")) ? name.removingPercentEncoding ?? name : name
            return decoded.isEmpty ? nil : .username(decoded)
        }
        guard !segment.isEmpty, segment.count <= 10, segment.allSatisfy({ $0.isASCII && $0.isNumber }), let id = Int(segment) else {
            return nil
        }
        return .id(id)
    }
}

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

/// The public endpoints per CXone area (`na1`, `au1`, ...), as `cxone-configuration` reports them. Areas not
/// configured are served by this server itself.
public struct AreaEndpoints: Sendable, Equatable {
    public struct Endpoints: Sendable, Equatable, Codable {
        public var ui: String
        public var auth: String
        public var api: String
        public var domain: String
        public var acdDomain: String
        public var uhDomain: String

        public init(ui: String, auth: String, api: String, domain: String, acdDomain: String, uhDomain: String) {
            self.ui = ui
            self.auth = auth
            self.api = api
            self.domain = domain
            self.acdDomain = acdDomain
            self.uhDomain = uhDomain
        }

        enum CodingKeys: String, CodingKey {
            case ui = "ui_endpoint", auth = "auth_endpoint", api = "api_endpoint", domain, acdDomain, uhDomain
        }
    }

    public var byArea: [String: Endpoints]

    public init(byArea: [String: Endpoints] = [:]) { self.byArea = byArea }

    /// Reads a JSON object `{"na1": {"ui_endpoint": ..., "auth_endpoint": ..., "api_endpoint": ..., "domain": ...,
    /// "acdDomain": ..., "uhDomain": ...}, ...}`.
    public static func load(json: Data) throws -> AreaEndpoints {
        AreaEndpoints(byArea: try JSONDecoder().decode([String: Endpoints].self, from: json))
    }
}
