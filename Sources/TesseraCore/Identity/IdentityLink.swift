import Foundation

/// An external identity (an identity provider's `iss` and `sub`) tied to one local user. Identity exchange acts only
/// through links: a username alone never adopts an account.
public struct IdentityLink: Sendable, Equatable {
    public var siteID: UUID
    public var issuer: String
    public var subject: String
    public var userID: Int
    public var createdAt: Date

    public init(siteID: UUID, issuer: String, subject: String, userID: Int, createdAt: Date) {
        self.siteID = siteID
        self.issuer = issuer
        self.subject = subject
        self.userID = userID
        self.createdAt = createdAt
    }
}
