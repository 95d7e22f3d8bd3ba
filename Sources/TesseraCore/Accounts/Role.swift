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
