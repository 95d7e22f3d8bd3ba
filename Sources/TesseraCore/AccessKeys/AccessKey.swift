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
    /// Who created it, and through which application's token if one did (its consent being withdrawn deletes the key).
    public var createdBy: Int?
    public var createdByClient: String?

    public init(siteID: UUID, id: String, userID: Int, secretHash: String, isActive: Bool, createdAt: Date, lastUsedAt: Date?, createdBy: Int? = nil,
                createdByClient: String? = nil) {
        self.createdBy = createdBy
        self.createdByClient = createdByClient
        self.siteID = siteID
        self.id = id
        self.userID = userID
        self.secretHash = secretHash
        self.isActive = isActive
        self.createdAt = createdAt
        self.lastUsedAt = lastUsedAt
    }
}
