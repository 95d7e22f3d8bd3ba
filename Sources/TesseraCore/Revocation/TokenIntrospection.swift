import Foundation
import TesseraCrypto

/// What introspecting an active token found (RFC 7662 §2.2).
public struct TokenIntrospection: Sendable {
    /// `access-token`, `refresh-token`, `long-term-jwt` or `authtoken`.
    public var kind: String
    public var user: User
    public var clientID: String?
    public var scope: String?
    public var expires: Int64
    public var issuedAt: Int64?
    public var jti: String?
    /// `Bearer`, or `refresh_token` for a refresh token.
    public var tokenType: String
}
