import Foundation
import Synchronization
import TesseraCrypto

/// What a token endpoint hands out.
public struct IssuedTokens: Sendable {
    public var accessToken: String
    public var idToken: String
    public var refreshToken: String?
    public var expiresIn: Int64
    public var refreshExpiresIn: Int64
    /// The refresh-token family: CXone's `sessionId`.
    public var familyID: UUID
    /// Set by a token exchange (RFC 8693): the answer then names the issued type and carries no id_token.
    public var issuedTokenType: String?
    public var scope: String?
}
