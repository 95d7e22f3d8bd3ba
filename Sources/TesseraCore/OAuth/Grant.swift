import Foundation

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
