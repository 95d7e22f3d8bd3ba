import Foundation

/// A person (or the anonymous visitor) known to one site.
public struct User: Sendable, Equatable {
    /// The anonymous user's id in every site, as in Expert.
    public static let anonymousID = 2
    /// The first administrator's id in every site.
    public static let firstAdminID = 1
    public static let anonymousUsername = "Anonymous"

    public var siteID: UUID
    /// Numeric id, unique within the site.
    public var id: Int
    /// Globally unique id (the CXone "user:<uuid>" subject).
    public var guid: UUID
    public var username: String
    public var email: String
    public var fullName: String
    public var status: UserStatus
    public var hasSeat: Bool
    public var roleName: String
    /// PHC-encoded password hash, or nil when the user cannot sign in with a password.
    public var passwordHash: String?
    /// Random value renewed whenever the password changes; auth tokens are bound to it.
    public var securityStamp: String
    public var createdAt: Date
    public var lastLoginAt: Date?
    /// Milliseconds since 1970: access tokens and refresh tokens issued before this are void. A password change or a
    /// deactivation sets it (checked from the cached user, with no store round trip).
    public var tokensValidAfter: Int64

    public init(
        siteID: UUID, id: Int, guid: UUID, username: String, email: String, fullName: String,
        status: UserStatus, hasSeat: Bool, roleName: String, passwordHash: String?, securityStamp: String,
        createdAt: Date, lastLoginAt: Date?, tokensValidAfter: Int64 = 0
    ) {
        self.tokensValidAfter = tokensValidAfter
        self.siteID = siteID
        self.id = id
        self.guid = guid
        self.username = username
        self.email = email
        self.fullName = fullName
        self.status = status
        self.hasSeat = hasSeat
        self.roleName = roleName
        self.passwordHash = passwordHash
        self.securityStamp = securityStamp
        self.createdAt = createdAt
        self.lastLoginAt = lastLoginAt
    }

    public var isAnonymous: Bool { id == User.anonymousID }
    public var role: Role { Role.named(roleName) ?? .viewer }
    public func can(_ permission: Permission) -> Bool { status == .active && role.allows(permission) }
}
