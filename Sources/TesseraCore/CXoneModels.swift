import Foundation

/// A CXone access key: an id and a secret that a user (or a service acting as one) exchanges for tokens. The
/// secret is high-entropy and random, so it is stored only as a keyed hash (HMAC under the master key).
public struct AccessKey: Sendable, Equatable {
    public var siteID: UUID
    /// 56 characters of upper-case base32 ending in `====`, like CXone's.
    public var id: String
    public var userID: Int
    public var secretHash: String
    public var isActive: Bool
    public var createdAt: Date
    public var lastUsedAt: Date?

    public init(siteID: UUID, id: String, userID: Int, secretHash: String, isActive: Bool, createdAt: Date, lastUsedAt: Date?) {
        self.siteID = siteID
        self.id = id
        self.userID = userID
        self.secretHash = secretHash
        self.isActive = isActive
        self.createdAt = createdAt
        self.lastUsedAt = lastUsedAt
    }
}

/// The three application types of CXone's registration form.
public enum ApplicationType: String, Sendable, CaseIterable {
    /// Server-to-server: the password grant with an access key. Has a secret.
    case backend
    /// A user-facing app with a secret: authorization code.
    case confidential
    /// A user-facing app without a secret: authorization code with PKCE.
    case `public`

    public var hasSecret: Bool { self != .public }
}

/// How a client proves itself at the token endpoint.
public enum ClientAuthMethod: String, Sendable, CaseIterable {
    case clientSecretBasic = "client_secret_basic"
    case clientSecretPost = "client_secret_post"
    /// RFC 7523: an HMAC-signed JWT assertion keyed with the client secret.
    case clientSecretJWT = "client_secret_jwt"
    /// Public clients: no secret, the client_id alone (and PKCE).
    case none
}

/// An OAuth client: the credentials an approved registration issued for one environment (a CXone "application").
/// The registration's runtime fields (name, redirect and logout URIs, origins, tenancy, enabled) are copied onto
/// every client it issued, so that a token request reads one row.
public struct Application: Sendable, Equatable {
    public var siteID: UUID
    /// A lower-case UUID, as CXone issues them.
    public var clientID: String
    public var name: String
    public var type: ApplicationType
    public var authMethod: ClientAuthMethod
    /// Input of the secret's derivation from the master key (nil for public clients). The secret itself is never
    /// stored: client_secret_jwt needs it to check assertions, so it is derived again when needed.
    public var secretSalt: String?
    public var redirectURIs: [String]
    /// `true`: users of any site in the client's environment may use it; `false`: only its own site's.
    public var multiTenant: Bool
    public var isEnabled: Bool
    public var createdAt: Date
    /// The registration that issued this client (nil for clients made before registrations existed).
    public var trackingNumber: String?
    /// The environment (a tenant area such as `na1`) these credentials were issued for; empty: any.
    public var environment: String
    /// Where `/auth/authorize/logout` may send the browser afterwards.
    public var logoutURIs: [String]
    /// Origins allowed to call the token, userinfo and JWKS endpoints from a browser (CORS).
    public var origins: [String]

    public init(siteID: UUID, clientID: String, name: String, type: ApplicationType, authMethod: ClientAuthMethod, secretSalt: String?,
                redirectURIs: [String], multiTenant: Bool, isEnabled: Bool, createdAt: Date, trackingNumber: String? = nil,
                environment: String = "", logoutURIs: [String] = [], origins: [String] = []) {
        self.siteID = siteID
        self.clientID = clientID
        self.name = name
        self.type = type
        self.authMethod = authMethod
        self.secretSalt = secretSalt
        self.redirectURIs = redirectURIs
        self.multiTenant = multiTenant
        self.isEnabled = isEnabled
        self.createdAt = createdAt
        self.trackingNumber = trackingNumber
        self.environment = environment
        self.logoutURIs = logoutURIs
        self.origins = origins
    }

    /// True when users of `site` may sign in through this client: its own site's always; other sites' when it is
    /// multi-tenant and the site lives in the client's environment.
    public func serves(site: Site) -> Bool {
        site.id == siteID || (multiTenant && (environment.isEmpty || environment == site.tenant.area))
    }
}

/// A refresh token as stored: only its keyed hash, its family (every token rotated from one grant) and what it
/// may be exchanged for.
public struct RefreshToken: Sendable, Equatable {
    public var hash: String
    public var familyID: UUID
    public var siteID: UUID
    public var userID: Int
    /// The client it was issued to; nil for tokens from an access key or a basic token, which refresh without
    /// client authentication.
    public var clientID: String?
    public var scope: String
    /// When the user authenticated (carried into id_tokens as auth_time).
    public var authTime: Int64
    public var createdAt: Date
    public var expiresAt: Date

    public init(hash: String, familyID: UUID, siteID: UUID, userID: Int, clientID: String?, scope: String, authTime: Int64,
                createdAt: Date, expiresAt: Date) {
        self.hash = hash
        self.familyID = familyID
        self.siteID = siteID
        self.userID = userID
        self.clientID = clientID
        self.scope = scope
        self.authTime = authTime
        self.createdAt = createdAt
        self.expiresAt = expiresAt
    }
}

/// What presenting a refresh token (or an authorization code) found.
public enum Consumption<Record: Sendable>: Sendable {
    /// First use: the record is now marked used.
    case fresh(Record)
    /// Used before: the store has revoked the whole family it belongs to (named here, so that the access tokens
    /// issued in it can be revoked too).
    case reused(family: UUID, site: UUID)
    /// Unknown, or revoked.
    case invalid
}

/// An authorization code as stored (by its keyed hash), bound to client, redirect URI and PKCE challenge.
public struct AuthorizationCode: Sendable, Equatable {
    public var hash: String
    public var siteID: UUID
    public var clientID: String
    public var userID: Int
    public var redirectURI: String
    public var codeChallenge: String?
    public var nonce: String?
    public var scope: String
    public var authTime: Int64
    /// The refresh-token family the code's tokens start; a second use of the code revokes it.
    public var familyID: UUID
    public var createdAt: Date
    public var expiresAt: Date

    public init(hash: String, siteID: UUID, clientID: String, userID: Int, redirectURI: String, codeChallenge: String?, nonce: String?,
                scope: String, authTime: Int64, familyID: UUID, createdAt: Date, expiresAt: Date) {
        self.hash = hash
        self.siteID = siteID
        self.clientID = clientID
        self.userID = userID
        self.redirectURI = redirectURI
        self.codeChallenge = codeChallenge
        self.nonce = nonce
        self.scope = scope
        self.authTime = authTime
        self.familyID = familyID
        self.createdAt = createdAt
        self.expiresAt = expiresAt
    }
}

/// A signing key as the store keeps it: the private half sealed under the master key.
public struct StoredSigningKey: Sendable, Equatable {
    public var siteID: UUID
    public var kid: String
    public var sealedPrivateKey: [UInt8]
    public var createdAt: Date

    public init(siteID: UUID, kid: String, sealedPrivateKey: [UInt8], createdAt: Date) {
        self.siteID = siteID
        self.kid = kid
        self.sealedPrivateKey = sealedPrivateKey
        self.createdAt = createdAt
    }
}
