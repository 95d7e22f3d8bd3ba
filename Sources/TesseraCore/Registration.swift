import Foundation

/// Where a registration stands: submitted and waiting, or approved (its clients exist).
public enum RegistrationStatus: String, Sendable {
    case pending
    case approved
}

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

    public init(siteID: UUID, trackingNumber: String, name: String, description: String, businessUnit: Int?, contacts: [String],
                multiTenant: Bool, environments: [String], type: ApplicationType, authMethod: ClientAuthMethod, redirectURIs: [String],
                logoutURIs: [String], origins: [String], scopes: [String], status: RegistrationStatus, isEnabled: Bool, createdBy: Int?,
                createdAt: Date, modifiedAt: Date, approvedBy: Int?, approvedAt: Date?) {
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
        return client
    }
}

/// A user's consent to a client: what the consent page records, what `users/current/authorizations` lists.
public struct Grant: Sendable, Equatable {
    public var siteID: UUID
    public var userID: Int
    public var clientID: String
    public var clientName: String
    public var scope: String
    public var createdAt: Date
    public var updatedAt: Date

    public init(siteID: UUID, userID: Int, clientID: String, clientName: String, scope: String, createdAt: Date, updatedAt: Date) {
        self.siteID = siteID
        self.userID = userID
        self.clientID = clientID
        self.clientName = clientName
        self.scope = scope
        self.createdAt = createdAt
        self.updatedAt = updatedAt
    }
}

/// A device authorization (RFC 8628) as stored: the device code by its keyed hash, the user code in clear (short,
/// typed by a person, and worthless once the request expires or is decided).
public struct DeviceAuthorization: Sendable, Equatable {
    public enum Status: String, Sendable {
        case pending, approved, denied, used
    }

    public var deviceCodeHash: String
    /// Eight letters from an alphabet without vowels or look-alikes, stored without the dash.
    public var userCode: String
    public var siteID: UUID
    public var clientID: String
    public var scope: String
    public var status: Status
    public var userID: Int?
    public var createdAt: Date
    public var expiresAt: Date

    public init(deviceCodeHash: String, userCode: String, siteID: UUID, clientID: String, scope: String, status: Status, userID: Int?,
                createdAt: Date, expiresAt: Date) {
        self.deviceCodeHash = deviceCodeHash
        self.userCode = userCode
        self.siteID = siteID
        self.clientID = clientID
        self.scope = scope
        self.status = status
        self.userID = userID
        self.createdAt = createdAt
        self.expiresAt = expiresAt
    }
}

/// How a site presents itself on the sign-in page (`tenantId` branding).
public struct SiteBranding: Sendable, Equatable {
    /// An https (or http) URL of an image; nil: none.
    public var logoURL: String?
    /// `#rrggbb`; nil: the default.
    public var colour: String?

    public init(logoURL: String? = nil, colour: String? = nil) {
        self.logoURL = logoURL
        self.colour = colour
    }

    /// Checks a logo URL and a colour as an administrator gives them.
    public static func validated(logoURL: String?, colour: String?) throws(ServiceError) -> SiteBranding {
        if let logoURL {
            guard logoURL.utf8.count <= 2048, let parts = URLComponents(string: logoURL), ["https", "http"].contains(parts.scheme?.lowercased() ?? ""),
                  parts.host?.isEmpty == false
            else { throw .invalidInput("logo must be an absolute http(s) URL") }
        }
        if let colour {
            let digits = colour.utf8.dropFirst()
            guard colour.utf8.first == UInt8(ascii: "#"), digits.count == 6,
                  digits.allSatisfy({ ($0 >= 0x30 && $0 <= 0x39) || ($0 >= 0x61 && $0 <= 0x66) || ($0 >= 0x41 && $0 <= 0x46) })
            else { throw .invalidInput("colour must be #rrggbb") }
        }
        return SiteBranding(logoURL: logoURL, colour: colour?.lowercased())
    }
}
