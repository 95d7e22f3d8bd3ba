import Foundation

/// An authorization code as stored (by its keyed hash), bound to client, redirect URI and PKCE challenge.
public struct AuthorizationCode: Sendable, Equatable {
    public var hash: String
    public var siteID: UUID
    public var clientID: String
    public var userID: Int
    public var redirectURI: String
    public var codeChallenge: String?
    public var nonce: String?
    public var scope: String
    public var authTime: Int64
    /// The refresh-token family the code's tokens start; a second use of the code revokes it.
    public var familyID: UUID
    public var createdAt: Date
    public var expiresAt: Date
    /// The sign-in session (a hash of its MAC) the user authorized in.
    public var signInSession: String?
    /// When it was issued, in milliseconds (compared with `User.tokensValidAfter`).
    public var issuedMillis: Int64

    public init(hash: String, siteID: UUID, clientID: String, userID: Int, redirectURI: String, codeChallenge: String?, nonce: String?,
                scope: String, authTime: Int64, familyID: UUID, createdAt: Date, expiresAt: Date, signInSession: String? = nil,
                issuedMillis: Int64? = nil) {
        self.signInSession = signInSession
        self.issuedMillis = issuedMillis ?? Int64((createdAt.timeIntervalSince1970 * 1000).rounded(.down))
        self.hash = hash
        self.siteID = siteID
        self.clientID = clientID
        self.userID = userID
        self.redirectURI = redirectURI
        self.codeChallenge = codeChallenge
        self.nonce = nonce
        self.scope = scope
        self.authTime = authTime
        self.familyID = familyID
        self.createdAt = createdAt
        self.expiresAt = expiresAt
    }
}
