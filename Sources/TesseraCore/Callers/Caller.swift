import Foundation

/// The resolved identity a request runs as: exactly one user of exactly one site.
public struct Caller: Sendable {
    public var site: Site
    public var user: User
    public var kind: CredentialKind

    public init(site: Site, user: User, kind: CredentialKind) {
        self.site = site
        self.user = user
        self.kind = kind
    }

    public var isAnonymous: Bool { user.isAnonymous }

    /// Throws 401 for the anonymous caller and 403 for a signed-in caller without the permission.
    public func require(_ permission: Permission) throws(ServiceError) {
        guard !isAnonymous else { throw .unauthenticated("authentication required") }
        guard user.can(permission) else { throw .forbidden("access denied: \(permission.displayName) permission required") }
    }
}
