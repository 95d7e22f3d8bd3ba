import Foundation

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
