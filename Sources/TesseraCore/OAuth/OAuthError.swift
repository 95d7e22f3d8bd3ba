import Foundation
import Synchronization
import TesseraCrypto

/// An error of the OAuth token endpoints (RFC 6749 §5.2), rendered as `{"error", "error_description"}`.
public struct OAuthError: Error, Sendable {
    public var code: String
    public var description: String
    /// 400, or 401 for `invalid_client`.
    public var status: Int
    /// The client authenticated with Basic: a 401 then carries `WWW-Authenticate: Basic`.
    public var basicChallenge = false
    /// An unexpected failure underneath (store unavailable): logged by type, answered 500/503.
    public var underlying: (any Error)?

    public init(code: String, description: String, status: Int = 400) {
        self.code = code
        self.description = description
        self.status = status
    }

    public static func invalidRequest(_ d: String) -> OAuthError { OAuthError(code: "invalid_request", description: d) }
    public static func invalidGrant(_ d: String) -> OAuthError { OAuthError(code: "invalid_grant", description: d) }
    public static func invalidClient(_ d: String, basic: Bool = false) -> OAuthError {
        var error = OAuthError(code: "invalid_client", description: d, status: 401)
        error.basicChallenge = basic
        return error
    }
    public static func unauthorizedClient(_ d: String) -> OAuthError { OAuthError(code: "unauthorized_client", description: d) }
    public static func invalidScope(_ d: String) -> OAuthError { OAuthError(code: "invalid_scope", description: d) }
    public static func unsupportedGrantType(_ d: String) -> OAuthError { OAuthError(code: "unsupported_grant_type", description: d) }
    public static func serverError(_ error: any Error) -> OAuthError {
        if let error = error as? OAuthError { return error }
        if case StoreError.unstorable(let what) = error { return .invalidRequest("the request holds \(what)") }
        var wrapped = OAuthError(code: "temporarily_unavailable", description: "the server cannot answer now; try again", status: 503)
        wrapped.underlying = error
        return wrapped
    }
}
