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
    /// The session started from a credential the user holds first-hand (an access key, a basic token): its tokens act
    /// with the user's role. Otherwise they are limited to `scope`.
    public var firstHand: Bool
    /// The sign-in session (a hash of its MAC) a code-flow session started from: signing out ends it.
    public var signInSession: String?
    /// When it was issued, in milliseconds (compared with `User.tokensValidAfter`).
    public var issuedMillis: Int64

    public init(hash: String, familyID: UUID, siteID: UUID, userID: Int, clientID: String?, scope: String, authTime: Int64,
                createdAt: Date, expiresAt: Date, firstHand: Bool = false, signInSession: String? = nil, issuedMillis: Int64? = nil) {
        self.issuedMillis = issuedMillis ?? Int64(createdAt.timeIntervalSince1970) * 1000
        self.firstHand = firstHand
        self.signInSession = signInSession
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
