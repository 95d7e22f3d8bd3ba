import Foundation
import TesseraCore

/// Users, by site.
extension SQLStore: UserStore {
    /// The key of username uniqueness: the same rule as every cache's (`Usernames.key`).
    static func usernameKey(_ username: String) -> String { Usernames.key(username) }

    public func createUser(_ user: User) async throws -> User {
        try await db.transaction { tx in
            var stored = user
            stored.id = try await Self.nextID("next_user_id", site: user.siteID, on: tx)
            try await Self.insert(stored, on: tx)
            try await tx.announce(.user(site: stored.siteID, id: stored.id))
            return stored
        }
    }

    static func insert(_ user: User, on tx: any SQLExecutor) async throws {
        try await tx.execute("""
            INSERT INTO users (site_id, id, guid, username, username_key, email, full_name, status, has_seat, role, password_hash,
                               security_stamp, created_at, last_login_at, tokens_valid_after, email_key, full_name_key)
            VALUES (\(user.siteID), \(user.id), \(user.guid), \(user.username), \(usernameKey(user.username)), \(user.email), \(user.fullName),
                    \(user.status.rawValue), \(user.hasSeat), \(user.roleName), \(user.passwordHash), \(user.securityStamp), \(user.createdAt),
                    \(user.lastLoginAt), \(user.tokensValidAfter), \(Usernames.key(user.email)), \(Usernames.key(user.fullName)))
            """)
    }

    public func user(site: UUID, id: Int) async throws -> User? {
        try await db.readOne("SELECT * FROM users WHERE site_id = \(site) AND id = \(id)").map(Self.user)
    }

    public func user(site: UUID, username: String) async throws -> User? {
        try await db.readOne("SELECT * FROM users WHERE site_id = \(site) AND username_key = \(Self.usernameKey(username))").map(Self.user)
    }

    public func user(site: UUID, guid: UUID) async throws -> User? {
        try await db.readOne("SELECT * FROM users WHERE site_id = \(site) AND guid = \(guid)").map(Self.user)
    }

    public func userCount(site: UUID) async throws -> Int {
        try await db.readOne("SELECT COUNT(*) AS n FROM users WHERE site_id = \(site)")?.int("n") ?? 0
    }

    public func updateUser(_ user: User) async throws {
        try await update("""
            UPDATE users SET username = \(user.username), username_key = \(Self.usernameKey(user.username)), email = \(user.email),
                full_name = \(user.fullName), status = \(user.status.rawValue), has_seat = \(user.hasSeat), role = \(user.roleName),
                password_hash = \(user.passwordHash), security_stamp = \(user.securityStamp), last_login_at = \(user.lastLoginAt),
                tokens_valid_after = \(user.tokensValidAfter), email_key = \(Usernames.key(user.email)),
                full_name_key = \(Usernames.key(user.fullName))
            WHERE site_id = \(user.siteID) AND id = \(user.id)
            """, announcing: .user(site: user.siteID, id: user.id))
    }

    public func searchUsers(site: UUID, query q: UserQuery) async throws -> [User] {
        let bytewise = db.dialect.bytewise
        let natural: UserQuery.SortField = switch (q.usernamePrefix, q.fullNamePrefix, q.usernameOrEmailPrefix) {
        case (_?, nil, nil): .username
        case (nil, _?, nil): .fullname
        default: .id
        }
        let column = switch q.sort ?? natural {
        case .id: "id"
        case .username: "username_key" + bytewise
        case .email: "email_key" + bytewise
        case .fullname: "full_name_key" + bytewise
        case .lastLogin: "last_login_at"
        case .created: "created_at"
        case .status: "status"
        case .role: "role"
        }
        let direction = q.descending ? "DESC" : "ASC"
        // Ties in id order, so pages never overlap (usernames are unique: no tie).
        let order = column == "id" || q.sort ?? natural == .username ? "\(column) \(direction)" : "\(column) \(direction), id \(direction)"
        // The page's ids first, from the index that answers the filter and the order (an offset then skips index
        // entries, not rows); then those rows.
        return try await db.read("""
            SELECT * FROM users WHERE site_id = \(site) AND id IN (
                SELECT id FROM users WHERE \(userFilter(site: site, q)) ORDER BY \(raw: order) LIMIT \(q.limit) OFFSET \(q.offset))
            ORDER BY \(raw: order)
            """).map(Self.user)
    }

    public func countUsers(site: UUID, query: UserQuery) async throws -> Int {
        try await db.readOne("SELECT COUNT(*) AS n FROM users WHERE \(userFilter(site: site, query))")?.int("n") ?? 0
    }

    /// The conditions of a search. A name filter is one range of a bytewise index over the name's key (NFC, lower
    /// case), from the prefix up to the next string after every string that starts with it.
    private func userFilter(site: UUID, _ q: UserQuery) -> SQL {
        let bytewise = db.dialect.bytewise
        /// `column` starts with the key: one index range, [key, the next string after every string with that prefix).
        func prefix(_ column: String, _ text: String) -> SQL {
            let key = UserQuery.key(text)
            guard let upper = PrefixRange.upperBound(of: key) else { return "\(raw: column)\(raw: bytewise) >= \(key)" }
            return "(\(raw: column)\(raw: bytewise) >= \(key) AND \(raw: column)\(raw: bytewise) < \(upper))"
        }
        var conditions: [SQL] = ["site_id = \(site)"]
        switch (q.usernamePrefix, q.fullNamePrefix) {
        case let (name?, full?): conditions.append("(\(prefix("username_key", name)) OR \(prefix("full_name_key", full)))")
        case let (name?, nil): conditions.append(prefix("username_key", name))
        case let (nil, full?): conditions.append(prefix("full_name_key", full))
        case (nil, nil): break
        }
        if let either = q.usernameOrEmailPrefix {
            conditions.append("(\(prefix("username_key", either)) OR \(prefix("email_key", either)))")
        }
        if let active = q.activated { conditions.append(active ? "status = 'active'" : "status <> 'active'") }
        // Role names are stored as the fixed roles spell them; the service passes that spelling.
        if let role = q.roleName { conditions.append("role = \(role)") }
        if let seated = q.seated { conditions.append("has_seat = \(seated)") }
        return SQL.joined(conditions, separator: " AND ")
    }

    public func activeUserCount(site: UUID, roleName: String) async throws -> Int {
        try await db.readOne("SELECT COUNT(*) AS n FROM users WHERE site_id = \(site) AND role = \(roleName) AND status = 'active'")?.int("n") ?? 0
    }

    static func user(_ row: SQLRow) throws -> User {
        guard let status = UserStatus(rawValue: try row.string("status")) else { throw StoreError.unreadable("user status") }
        return User(siteID: try row.uuid("site_id"), id: try row.int("id"), guid: try row.uuid("guid"), username: try row.string("username"),
                    email: try row.string("email"), fullName: try row.string("full_name"), status: status, hasSeat: try row.bool("has_seat"),
                    roleName: try row.string("role"), passwordHash: try row.optionalString("password_hash"),
                    securityStamp: try row.string("security_stamp"), createdAt: try row.date("created_at"),
                    lastLoginAt: try row.optionalDate("last_login_at"), tokensValidAfter: try row.int64("tokens_valid_after"))
    }
}
