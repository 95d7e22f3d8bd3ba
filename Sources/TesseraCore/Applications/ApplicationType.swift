import Foundation

/// The three application types of CXone's registration form.
public enum ApplicationType: String, Sendable, CaseIterable {
    /// Server-to-server: the password grant with an access key. Has a secret.
    case backend
    /// A user-facing app with a secret: authorization code.
    case confidential
    /// A user-facing app without a secret: authorization code with PKCE.
    case `public`

    public var hasSecret: Bool { self != .public }
}
