import Foundation

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
    /// The scopes (API groups) its registration asked for; a token issued to it carries at most these and `openid`.
    public var scopes: [String]
    /// `private_key_jwt`: the application's public keys, as a JWK Set, or where they are published.
    public var jwks: String?
    public var jwksURL: String?

    public init(siteID: UUID, clientID: String, name: String, type: ApplicationType, authMethod: ClientAuthMethod, secretSalt: String?,
                redirectURIs: [String], multiTenant: Bool, isEnabled: Bool, createdAt: Date, trackingNumber: String? = nil,
                environment: String = "", logoutURIs: [String] = [], origins: [String] = [], scopes: [String] = [], jwks: String? = nil,
                jwksURL: String? = nil) {
        self.scopes = scopes
        self.jwks = jwks
        self.jwksURL = jwksURL
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
