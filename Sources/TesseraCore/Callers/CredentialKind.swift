import Foundation

/// How the caller of a request proved who it is.
public enum CredentialKind: String, Sendable {
    case anonymous
    /// An `authtoken` from sign-in, as a cookie or a bearer token.
    case authToken = "authtoken"
    /// A server-token request signature in `X-Deki-Token`.
    case serverToken = "server-token"
    /// A long-term JWT of a server token, as a bearer token.
    case longTermJWT = "long-term-jwt"
    /// A CXone access token (RS256 JWT) from the token endpoints, as a bearer token.
    case accessToken = "access-token"
    /// The legacy site API key, acting as the user `impersonateuserid` names.
    case legacyAPIKey = "legacy-api-key"
    /// A legacy impersonation auth token (`imp_...`).
    case impersonation = "legacy-impersonation"
}
