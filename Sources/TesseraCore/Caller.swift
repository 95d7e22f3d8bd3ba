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

    /// How far a server-token signature's epoch may be from now, in seconds.
    public var signatureWindow: Int64

    public init(authTokenLifetime: Int64 = 561_600, publicURL: String, signatureWindow: Int64 = 300) {
        self.authTokenLifetime = authTokenLifetime
        self.publicURL = publicURL.hasSuffix("/") ? String(publicURL.dropLast()) : publicURL
        self.signatureWindow = signatureWindow
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
