import Foundation
import TesseraCrypto

/// An authorization request that passed validation: the client and redirect URI are trusted from here on, so
/// every later error goes back to the redirect URI.
public struct AuthorizationRequest: Sendable {
    public enum Flow: Sendable, Equatable {
        /// CXone's `/auth/authorize` (OpenID Connect: scope openid).
        case openID
        /// Expert's `/@app/auth/{authId}/token/authorize` for an OAuth developer token.
        case expert
    }

    public var flow: Flow
    public var client: OAuthClient
    public var redirectURI: String
    public var state: String?
    public var nonce: String?
    public var scope: String
    public var display: String
    public var prompts: Set<String>
    public var maxAge: Int64?
    /// The user an id_token_hint names (by guid).
    public var hintedUser: UUID?
    public var loginHint: String?
    public var codeChallenge: String?
    /// Every parameter as received, to carry through the sign-in and consent forms.
    public var parameters: [(String, String)]
}
