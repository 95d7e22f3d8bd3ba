import Foundation

/// How a client proves itself at the token endpoint.
public enum ClientAuthMethod: String, Sendable, CaseIterable {
    case clientSecretBasic = "client_secret_basic"
    case clientSecretPost = "client_secret_post"
    /// RFC 7523: an HMAC-signed JWT assertion keyed with the client secret.
    case clientSecretJWT = "client_secret_jwt"
    /// RFC 7523: an RS256-signed JWT assertion, checked against the keys the application registered (a JWK Set, or
    /// a JWKS URL). The application has no secret.
    case privateKeyJWT = "private_key_jwt"
    /// Public clients: no secret, the client_id alone (and PKCE).
    case none
}
