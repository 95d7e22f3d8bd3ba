import Foundation

/// Whether a user may authenticate at all.
public enum UserStatus: String, Sendable, CaseIterable {
    case active
    case inactive
}

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

    public init(
        siteID: UUID, id: Int, guid: UUID, username: String, email: String, fullName: String,
        status: UserStatus, hasSeat: Bool, roleName: String, passwordHash: String?, securityStamp: String,
        createdAt: Date, lastLoginAt: Date?
    ) {
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

/// Validation of user fields shared by every surface that creates or changes users.
public enum UserRules {
    public static let maxUsernameLength = 255
    public static let minPasswordLength = 8
    /// Bounded so that hashing work per request stays bounded.
    public static let maxPasswordBytes = 1024

    public static func validateUsername(_ name: String) throws(ServiceError) {
        guard !name.isEmpty, name.count <= maxUsernameLength else {
            throw .invalidInput("username must be 1 to \(maxUsernameLength) characters")
        }
        guard !name.hasPrefix("="), name.trimmingCharacters(in: .whitespaces) == name,
              name.unicodeScalars.allSatisfy({ !CharacterSet.controlCharacters.contains($0) && $0 != "/" })
        else {
            throw .invalidInput("username contains characters that are not allowed")
        }
        if Int(name) != nil { throw .invalidInput("username cannot be a number") }
    }

    public static func validatePassword(_ password: String) throws(ServiceError) {
        guard password.count >= minPasswordLength else {
            throw .invalidInput("password must be at least \(minPasswordLength) characters")
        }
        guard password.utf8.count <= maxPasswordBytes else {
            throw .invalidInput("password must be at most \(maxPasswordBytes) bytes")
        }
    }

    public static func validateEmail(_ email: String) throws(ServiceError) {
        if email.isEmpty { return }
        let parts = email.split(separator: "@", omittingEmptySubsequences: false)
        guard email.count <= 254, parts.count == 2, !parts[0].isEmpty, parts[1].contains("."),
              !email.contains(where: { $0.isWhitespace })
        else { throw .invalidInput("email is not a valid address") }
    }

    public static func validateFullName(_ name: String) throws(ServiceError) {
        guard name.count <= 255 else { throw .invalidInput("fullname must be at most 255 characters") }
    }
}
