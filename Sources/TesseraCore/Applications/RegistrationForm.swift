import Foundation
import TesseraCrypto

/// The fields of a registration as submitted (or, for an update, the ones given).
public struct RegistrationForm: Sendable {
    public var name: String?
    public var description: String?
    public var businessUnit: Int?
    public var contacts: [String]?
    public var multiTenant: Bool?
    public var environments: [String]?
    public var type: ApplicationType?
    public var authMethod: ClientAuthMethod?
    public var redirectURIs: [String]?
    public var logoutURIs: [String]?
    public var origins: [String]?
    public var scopes: [String]?
    /// `private_key_jwt`: a JWK Set (JSON text) or a JWKS URL.
    public var jwks: String?
    public var jwksURL: String?

    public init(name: String? = nil, description: String? = nil, businessUnit: Int? = nil, contacts: [String]? = nil, multiTenant: Bool? = nil,
                environments: [String]? = nil, type: ApplicationType? = nil, authMethod: ClientAuthMethod? = nil, redirectURIs: [String]? = nil,
                logoutURIs: [String]? = nil, origins: [String]? = nil, scopes: [String]? = nil, jwks: String? = nil, jwksURL: String? = nil) {
        self.jwks = jwks
        self.jwksURL = jwksURL
        self.name = name
        self.description = description
        self.businessUnit = businessUnit
        self.contacts = contacts
        self.multiTenant = multiTenant
        self.environments = environments
        self.type = type
        self.authMethod = authMethod
        self.redirectURIs = redirectURIs
        self.logoutURIs = logoutURIs
        self.origins = origins
        self.scopes = scopes
    }
}
