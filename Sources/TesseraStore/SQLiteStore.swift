import Foundation
import GRDB
import TesseraCore

/// The embedded store: one SQLite file in WAL mode. Reads run concurrently, writes one at a time.
public final class SQLiteStore: Store {
    private let pool: DatabasePool

    /// Opens (creating if needed) the database file at `path`.
    public init(path: String) throws {
        var config = Configuration()
        config.foreignKeysEnabled = true
        // Another process (a CLI command beside the server) may hold the write lock briefly.
        config.busyMode = .timeout(5)
        pool = try DatabasePool(path: path, configuration: config)
    }

    public func migrate() async throws {
        try await pool.writeWithoutTransaction { db in
            try db.inTransaction(.immediate) {
                try db.execute(sql: "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at INTEGER NOT NULL)")
                let applied = Set(try Int.fetchAll(db, sql: "SELECT version FROM schema_migrations"))
                for step in Migrations.sqlite where !applied.contains(step.version) {
                    for statement in step.statements { try db.execute(sql: statement) }
                    try db.execute(sql: "INSERT INTO schema_migrations (version, applied_at) VALUES (?, ?)",
                                   arguments: [step.version, Int64(Date().timeIntervalSince1970)])
                }
                return .commit
            }
        }
    }

    public func ping() async throws {
        _ = try await pool.read { db in try Int.fetchOne(db, sql: "SELECT 1") }
    }

    public func close() async throws {
        try pool.close()
    }

    // MARK: Sites

    public func bootstrapDefaultSite(_ site: Site, users: [User]) async throws -> Bool {
        try await pool.writeWithoutTransaction { db in
            var created = false
            try db.inTransaction(.immediate) {
                if try Bool.fetchOne(db, sql: "SELECT 1 FROM sites WHERE is_default = 1") != nil { return .rollback }
                try Self.insert(site: site, users: users, db: db)
                created = true
                return .commit
            }
            return created
        }
    }

    public func createSite(_ site: Site, users: [User]) async throws {
        try await mapConstraint {
            try await pool.write { db in try Self.insert(site: site, users: users, db: db) }
        }
    }

    private static func insert(site: Site, users: [User], db: Database) throws {
        try db.execute(
            sql: "INSERT INTO sites (id, name, is_default, auth_token_key, next_user_id, created_at) VALUES (?, ?, ?, ?, 3, ?)",
            arguments: [site.id.uuidString.lowercased(), site.name, site.isDefault, Data(site.authTokenKey), seconds(site.createdAt)]
        )
        for host in site.hostnames {
            try db.execute(sql: "INSERT INTO site_hostnames (hostname, site_id) VALUES (?, ?)",
                           arguments: [host, site.id.uuidString.lowercased()])
        }
        for user in users { try insert(user: user, db: db) }
    }

    public func sites() async throws -> [Site] {
        try await pool.read { db in
            let hosts = try Row.fetchAll(db, sql: "SELECT hostname, site_id FROM site_hostnames ORDER BY hostname")
            var byID: [String: [String]] = [:]
            for row in hosts { byID[row["site_id"], default: []].append(row["hostname"]) }
            return try Row.fetchAll(db, sql: "SELECT * FROM sites ORDER BY created_at, id").map { row in
                try Self.site(row, hostnames: byID[row["id"]] ?? [])
            }
        }
    }

    public func site(id: UUID) async throws -> Site? {
        try await sites().first { $0.id == id }
    }

    private static func site(_ row: Row, hostnames: [String]) throws -> Site {
        guard let id = UUID(uuidString: row["id"]) else { throw StoreError.notFound }
        let key: Data = row["auth_token_key"]
        return Site(id: id, name: row["name"], hostnames: hostnames, isDefault: row["is_default"],
                    authTokenKey: Array(key), createdAt: Date(timeIntervalSince1970: TimeInterval(row["created_at"] as Int64)))
    }

    // MARK: Users

    public func createUser(_ user: User) async throws -> User {
        try await mapConstraint {
            try await pool.writeWithoutTransaction { db in
                var stored = user
                try db.inTransaction(.immediate) {
                    let site = user.siteID.uuidString.lowercased()
                    guard let next = try Int.fetchOne(db, sql: "SELECT next_user_id FROM sites WHERE id = ?", arguments: [site]) else {
                        throw StoreError.notFound
                    }
                    try db.execute(sql: "UPDATE sites SET next_user_id = next_user_id + 1 WHERE id = ?", arguments: [site])
                    stored.id = next
                    try Self.insert(user: stored, db: db)
                    return .commit
                }
                return stored
            }
        }
    }

    private static func insert(user: User, db: Database) throws {
        try db.execute(
            sql: """
            INSERT INTO users (site_id, id, guid, username, username_key, email, full_name, status, has_seat, role,
                               password_hash, security_stamp, created_at, last_login_at)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """,
            arguments: [
                user.siteID.uuidString.lowercased(), user.id, user.guid.uuidString.lowercased(), user.username,
                usernameKey(user.username), user.email, user.fullName, user.status.rawValue, user.hasSeat, user.roleName,
                user.passwordHash, user.securityStamp, seconds(user.createdAt), user.lastLoginAt.map(seconds),
            ]
        )
    }

    public func user(site: UUID, id: Int) async throws -> User? {
        try await pool.read { db in
            try Row.fetchOne(db, sql: "SELECT * FROM users WHERE site_id = ? AND id = ?",
                             arguments: [site.uuidString.lowercased(), id]).map(Self.user)
        }
    }

    public func user(site: UUID, username: String) async throws -> User? {
        try await pool.read { db in
            try Row.fetchOne(db, sql: "SELECT * FROM users WHERE site_id = ? AND username_key = ?",
                             arguments: [site.uuidString.lowercased(), usernameKey(username)]).map(Self.user)
        }
    }

    public func users(site: UUID, offset: Int, limit: Int) async throws -> [User] {
        try await pool.read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM users WHERE site_id = ? ORDER BY id LIMIT ? OFFSET ?",
                             arguments: [site.uuidString.lowercased(), limit, offset]).map(Self.user)
        }
    }

    public func userCount(site: UUID) async throws -> Int {
        try await pool.read { db in
            try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM users WHERE site_id = ?", arguments: [site.uuidString.lowercased()]) ?? 0
        }
    }

    public func activeUserCount(site: UUID, roleName: String) async throws -> Int {
        try await pool.read { db in
            try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM users WHERE site_id = ? AND role = ? AND status = 'active'",
                             arguments: [site.uuidString.lowercased(), roleName]) ?? 0
        }
    }

    public func updateUser(_ user: User) async throws {
        try await mapConstraint {
            try await pool.write { db in
                try db.execute(
                    sql: """
                    UPDATE users SET username = ?, username_key = ?, email = ?, full_name = ?, status = ?, has_seat = ?,
                        role = ?, password_hash = ?, security_stamp = ?, last_login_at = ?
                    WHERE site_id = ? AND id = ?
                    """,
                    arguments: [
                        user.username, usernameKey(user.username), user.email, user.fullName, user.status.rawValue,
                        user.hasSeat, user.roleName, user.passwordHash, user.securityStamp, user.lastLoginAt.map(seconds),
                        user.siteID.uuidString.lowercased(), user.id,
                    ]
                )
                if db.changesCount == 0 { throw StoreError.notFound }
            }
        }
    }

    private static func user(_ row: Row) throws -> User {
        guard let site = UUID(uuidString: row["site_id"]), let guid = UUID(uuidString: row["guid"]),
              let status = UserStatus(rawValue: row["status"])
        else { throw StoreError.notFound }
        return User(
            siteID: site, id: row["id"], guid: guid, username: row["username"], email: row["email"],
            fullName: row["full_name"], status: status, hasSeat: row["has_seat"], roleName: row["role"],
            passwordHash: row["password_hash"], securityStamp: row["security_stamp"],
            createdAt: Date(timeIntervalSince1970: TimeInterval(row["created_at"] as Int64)),
            lastLoginAt: (row["last_login_at"] as Int64?).map { Date(timeIntervalSince1970: TimeInterval($0)) }
        )
    }

    /// Turns SQLite's uniqueness failures into `StoreError.conflict`.
    private func mapConstraint<T>(_ body: () async throws -> T) async throws -> T {
        do {
            return try await body()
        } catch let error as DatabaseError
            where error.extendedResultCode == .SQLITE_CONSTRAINT_UNIQUE || error.extendedResultCode == .SQLITE_CONSTRAINT_PRIMARYKEY {
            throw StoreError.conflict(error.message ?? "unique constraint")
        }
    }
}

func seconds(_ date: Date) -> Int64 { Int64(date.timeIntervalSince1970.rounded(.down)) }
