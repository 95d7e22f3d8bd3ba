import Foundation

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
