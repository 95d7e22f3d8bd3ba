/// One thing a role allows. The raw values are the names the API shows.
public enum Permission: String, Sendable, CaseIterable, Comparable {
    case login = "LOGIN"
    case browse = "BROWSE"
    case read = "READ"
    case update = "UPDATE"
    case subscribe = "SUBSCRIBE"
    /// "My Access Key": manage one's own CXone access keys.
    case myAccessKey = "MY_ACCESS_KEY"
    /// "Access Key": manage other users' CXone access keys.
    case accessKey = "ACCESS_KEY"
    /// Create, change and delete developer tokens.
    case tokenAdministration = "TOKEN_ADMINISTRATION"
    /// Site administration: users, settings, audit log.
    case admin = "ADMIN"

    /// The name the seeds use in their permission lists.
    public var displayName: String {
        switch self {
        case .login: "Login"
        case .browse: "Browse"
        case .read: "Read"
        case .update: "Update"
        case .subscribe: "Subscribe"
        case .myAccessKey: "My Access Key"
        case .accessKey: "Access Key"
        case .tokenAdministration: "Token Administration"
        case .admin: "Admin"
        }
    }

    private static let order = Dictionary(uniqueKeysWithValues: allCases.enumerated().map { ($1, $0) })

    public static func < (lhs: Permission, rhs: Permission) -> Bool {
        order[lhs]! < order[rhs]!
    }
}

/// A named set of permissions. Roles are fixed by the server; users refer to them by name.
public struct Role: Sendable, Equatable {
    public let name: String
    public let permissions: Set<Permission>
    /// The role's permissions in their documented order, as the API lists them.
    public let sortedPermissions: [Permission]

    init(name: String, permissions: Set<Permission>) {
        self.name = name
        self.permissions = permissions
        self.sortedPermissions = Permission.allCases.filter(permissions.contains)
    }

    public func allows(_ permission: Permission) -> Bool { permissions.contains(permission) }

    public static let admin = Role(name: "Admin", permissions: Set(Permission.allCases))
    public static let contributor = Role(
        name: "Contributor",
        permissions: [.login, .browse, .read, .update, .subscribe, .myAccessKey]
    )
    public static let viewer = Role(name: "Viewer", permissions: [.login, .browse, .read, .subscribe])
    /// The anonymous user's role: it can read public content but cannot sign in.
    public static let anonymous = Role(name: "Anonymous", permissions: [.browse, .read])

    public static let all: [Role] = [.admin, .contributor, .viewer, .anonymous]

    private static let byLowercasedName = Dictionary(uniqueKeysWithValues: all.map { ($0.name.lowercased(), $0) })

    /// Looks a role up by name, ignoring case.
    public static func named(_ name: String) -> Role? {
        byLowercasedName[name.lowercased()]
    }
}
