import Foundation

/// A developer token of a site. Secrets are never stored: a server token's secret is derived from the master
/// key and `secretSalt`, an OAuth token's secret is kept only as a keyed hash.
public struct DeveloperToken: Sendable, Equatable {
    public var siteID: UUID
    /// Per-site number, shown as @id.
    public var id: Int
    public var type: DeveloperTokenType
    public var name: String
    /// The public half: 64 lower-case hex when generated, or supplied (letters, digits, '.', '-'; at most 255).
    public var key: String
    /// Host patterns (browser and OAuth tokens).
    public var hosts: [String] { didSet { hostPatterns = hosts.compactMap(HostPattern.parse) } }
    /// `hosts`, parsed once: browser tokens are matched against them on every request.
    public private(set) var hostPatterns: [HostPattern]
    /// Server tokens only: the one user the token may act as.
    public var restrictedUserID: Int?
    /// Server tokens: input of the secret's derivation.
    public var secretSalt: String?
    /// OAuth tokens: hex HMAC of the client secret under the master key.
    public var secretHash: String?
    /// Server tokens with a long-term JWT: input of the JWT key's derivation. Renewing it revokes the old JWT.
    public var jwtSalt: String?
    public var createdBy: Int
    /// The application whose token created it, when one did (its consent being withdrawn deletes the token).
    public var createdByClient: String?
    public var createdAt: Date

    public init(siteID: UUID, id: Int, type: DeveloperTokenType, name: String, key: String, hosts: [String], restrictedUserID: Int?,
                secretSalt: String?, secretHash: String?, jwtSalt: String?, createdBy: Int, createdAt: Date, createdByClient: String? = nil) {
        self.createdByClient = createdByClient
        self.siteID = siteID
        self.id = id
        self.type = type
        self.name = name
        self.key = key
        self.hosts = hosts
        self.hostPatterns = hosts.compactMap(HostPattern.parse)
        self.restrictedUserID = restrictedUserID
        self.secretSalt = secretSalt
        self.secretHash = secretHash
        self.jwtSalt = jwtSalt
        self.createdBy = createdBy
        self.createdAt = createdAt
    }
}
