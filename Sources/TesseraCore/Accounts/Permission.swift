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

    /// What an application's token reaches only with the administrative scope (`Scope.admin`).
    public var isAdministrative: Bool {
        switch self {
        case .myAccessKey, .accessKey, .tokenAdministration, .admin: true
        case .login, .browse, .read, .update, .subscribe: false
        }
    }

    private static let order = Dictionary(uniqueKeysWithValues: allCases.enumerated().map { ($1, $0) })

    public static func < (lhs: Permission, rhs: Permission) -> Bool {
        order[lhs]! < order[rhs]!
    }
}
