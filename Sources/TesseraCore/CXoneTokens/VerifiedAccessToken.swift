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
}
