import Foundation

/// The resolved identity a request runs as: exactly one user of exactly one site, and — for a token issued to an
/// application — the application and the scopes the user consented to.
public struct Caller: Sendable {
    public var site: Site
    public var user: User
    public var kind: CredentialKind
    /// nil: a credential the user holds first-hand, acting with the user's role. Otherwise the scopes of a token
    /// issued to an application, which limit what the role allows (see `Scope`).
    public var scopes: Set<String>?
    /// The application a delegated token was issued to.
    public var clientID: String?

    public init(site: Site, user: User, kind: CredentialKind, scopes: Set<String>? = nil, clientID: String? = nil) {
        self.site = site
        self.user = user
        self.kind = kind
        self.scopes = scopes
        self.clientID = clientID
    }

    public var isAnonymous: Bool { user.isAnonymous }

    /// True when the caller acts with the user's whole role (not an application's token limited to its scopes).
    public var isFirstHand: Bool { scopes == nil }

    /// Throws 401 for the anonymous caller; 403 `insufficient_scope` for an application's token whose scopes do not
    /// reach an administrative permission; 403 for a caller whose role lacks the permission.
    public func require(_ permission: Permission) throws(ServiceError) {
        guard !isAnonymous else { throw .unauthenticated("authentication required") }
        if permission.isAdministrative, let scopes, !scopes.contains(Scope.admin) { throw .insufficientScope(Scope.admin) }
        guard user.can(permission) else { throw .forbidden("access denied: \(permission.displayName) permission required") }
    }

    /// Like `require`, for an action open to any of the permissions.
    public func require(anyOf permissions: [Permission]) throws(ServiceError) {
        guard !isAnonymous else { throw .unauthenticated("authentication required") }
        if permissions.contains(where: \.isAdministrative), let scopes, !scopes.contains(Scope.admin) { throw .insufficientScope(Scope.admin) }
        guard permissions.contains(where: user.can) else {
            throw .forbidden("the \(permissions.map(\.displayName).joined(separator: " or ")) permission is required")
        }
    }

    /// Refuses an application's token that does not carry `scope` (a first-hand credential passes).
    public func require(scope: String) throws(ServiceError) {
        guard !isAnonymous else { throw .unauthenticated("authentication required") }
        if let scopes, !scopes.contains(scope) { throw .insufficientScope(scope) }
    }

    /// Refuses an application's token: what only a person may do with their own credential (set a password,
    /// generate a key, turn on legacy tokens, approve an application's secrets). 403 `insufficient_scope`.
    public func requireFirstHand(_ action: String) throws(ServiceError) {
        guard !isAnonymous else { throw .unauthenticated("authentication required") }
        guard isFirstHand else { throw .insufficientScope("\(action) needs the user's own credential, not an application's token") }
    }
}
