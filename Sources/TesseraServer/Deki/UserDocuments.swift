import Foundation
import TesseraCrypto
import TesseraCore

/// The deki `<user>` document: rendering a user, and reading the fields a create or update may set.
enum UserDocuments {
    static func user(_ user: User, publicURL: String) -> DekiNode {
        let role = user.role
        var children = [
            DekiNode("username", text: user.username),
            DekiNode("email", text: user.email),
            DekiNode("fullname", text: user.fullName),
            DekiNode("status", text: user.status.rawValue),
            DekiNode("license.seat", text: user.hasSeat ? "true" : "false"),
            DekiNode("date.created", text: Timestamps.iso8601(user.createdAt)),
            DekiNode("permissions.user", children: [
                DekiNode("role", text: role.name),
                DekiNode("operations", text: role.sortedPermissions.map(\.rawValue).joined(separator: ",")),
            ]),
            DekiNode("password", attributes: [("exists", user.passwordHash == nil ? "false" : "true")]),
        ]
        if let lastLogin = user.lastLoginAt { children.append(DekiNode("date.lastlogin", text: Timestamps.iso8601(lastLogin))) }
        return DekiNode("user", attributes: [
            ("id", String(user.id)),
            ("guid", user.guid.lowercasedString),
            ("href", "\(publicURL)/@api/deki/users/\(user.id)"),
            ("anonymous", user.isAnonymous ? "true" : "false"),
        ], children: children)
    }

    /// `count`: users in this page; `querycount`: users matching the search; `totalcount`: every user of the site.
    static func users(_ users: [User], matching: Int, total: Int, publicURL: String) -> DekiNode {
        DekiNode("users", attributes: [
            ("count", String(users.count)),
            ("querycount", String(matching)),
            ("totalcount", String(total)),
            ("href", "\(publicURL)/@api/deki/users"),
        ], children: users.map { user($0, publicURL: publicURL) })
    }

    /// Reads the settable fields of a `<user>` document. Unknown elements are ignored, so a document fetched
    /// with GET can be changed and sent back; a value that is present but invalid is a 400.
    static func changes(_ node: DekiNode, password: String?) throws -> UserChanges {
        var changes = UserChanges()
        changes.username = node.childText("username")
        changes.email = node.childText("email")
        changes.fullName = node.childText("fullname")
        if let status = node.childText("status") {
            guard let parsed = UserStatus(rawValue: status.lowercased()) else {
                throw ServiceError.invalidInput("status must be active or inactive")
            }
            changes.status = parsed
        }
        if let seat = node.childText("license.seat") { changes.hasSeat = try bool(seat, field: "license.seat") }
        changes.roleName = node.child("permissions.user")?.childText("role") ?? node.childText("role")
        changes.password = password
        return changes
    }

    private static func bool(_ text: String, field: String) throws -> Bool {
        switch text.lowercased() {
        case "true", "1", "yes": return true
        case "false", "0", "no": return false
        default: throw ServiceError.invalidInput("\(field) must be true or false")
        }
    }
}
