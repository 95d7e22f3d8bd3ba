import Foundation
import Synchronization
import TesseraCrypto

/// What verifying a CXone access token established.
public struct VerifiedAccessToken: Sendable {
    public var user: User
    /// The client the token was issued to; nil for tokens from an access key or a basic token.
    public var clientID: String?
    public var scope: String
    public var jti: String
    public var expires: Int64
    public var issuedAt: Int64?
    /// Issued for a credential the user holds first-hand (acts with the user's role), not to an application's consent.
    public var firstHand: Bool
    /// The session (refresh-token family) it belongs to, as issued.
    public var sessionID: String?

    /// The scopes as a set; nil for a first-hand token (no limit beyond the user's role).
    public var limitingScopes: Set<String>? { firstHand ? nil : Scope.set(scope) }
}
