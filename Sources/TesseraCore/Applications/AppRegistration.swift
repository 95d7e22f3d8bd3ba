import Foundation

/// An application registration, with the fields of CXone's registration form. It gets a tracking number when it is
/// submitted and no credentials until an administrator approves it; approval issues one client (`Application`) per
/// environment.
public struct AppRegistration: Sendable, Equatable {
    public var siteID: UUID
    /// `TR-` and ten digits.
    public var trackingNumber: String
    public var name: String
    public var description: String
    /// The submitter's primary business unit number.
    public var businessUnit: Int?
    /// E-mail addresses told about the registration.
    public var contacts: [String]
    /// Tenancy: multiple tenants (every site in the environments) or the registering site only.
    public var multiTenant: Bool
    /// Tenant areas (`na1`, `eu1`, ...): one client is issued per environment.
    public var environments: [String]
    /// Fixed at creation.
    public var type: ApplicationType
    public var authMethod: ClientAuthMethod
    public var redirectURIs: [String]
    public var logoutURIs: [String]
    public var origins: [String]
    /// The API groups the application says it uses (informational).
    public var scopes: [String]
    public var status: RegistrationStatus
    public var isEnabled: Bool
    public var createdBy: Int?
    public var createdAt: Date
    public var modifiedAt: Date
    public var approvedBy: Int?
    public var approvedAt: Date?
    /// `private_key_jwt`: the application's public keys, as a JWK Set, or where they are published.
    public var jwks: String?
    public var jwksURL: String?
    /// When a deletion was asked for, the time the registration and its clients go (they are disabled meanwhile).
    public var scheduledDeletion: Date?

    public init(siteID: UUID, trackingNumber: String, name: String, description: String, businessUnit: Int?, contacts: [String],
                multiTenant: Bool, environments: [String], type: ApplicationType, authMethod: ClientAuthMethod, redirectURIs: [String],
                logoutURIs: [String], origins: [String], scopes: [String], status: RegistrationStatus, isEnabled: Bool, createdBy: Int?,
                createdAt: Date, modifiedAt: Date, approvedBy: Int?, approvedAt: Date?, jwks: String? = nil, jwksURL: String? = nil,
                scheduledDeletion: Date? = nil) {
        self.jwks = jwks
        self.jwksURL = jwksURL
        self.scheduledDeletion = scheduledDeletion
        self.siteID = siteID
        self.trackingNumber = trackingNumber
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
        self.status = status
        self.isEnabled = isEnabled
        self.createdBy = createdBy
        self.createdAt = createdAt
        self.modifiedAt = modifiedAt
        self.approvedBy = approvedBy
        self.approvedAt = approvedAt
    }

    /// The registration's runtime fields copied onto one of its clients.
    public func applying(to client: Application) -> Application {
        var client = client
        client.name = name
        client.redirectURIs = redirectURIs
        client.logoutURIs = logoutURIs
        client.origins = origins
        client.multiTenant = multiTenant
        client.isEnabled = isEnabled
        client.scopes = scopes
        client.jwks = jwks
        client.jwksURL = jwksURL
        return client
    }
}
