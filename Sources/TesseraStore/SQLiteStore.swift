import Foundation
import GRDB
import TesseraCore
import TesseraCrypto

/// The embedded store: one SQLite file in WAL mode. Reads run concurrently, writes one at a time.
public final class SQLiteStore: Store {
    let pool: DatabasePool
    /// One process owns the file, so its own writes are all the changes there are.
    public let changes = ChangeFeed(live: true)

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
        let created = try await pool.writeWithoutTransaction { db in
            var created = false
            try db.inTransaction(.immediate) {
                if try Bool.fetchOne(db, sql: "SELECT 1 FROM sites WHERE is_default = 1") != nil { return .rollback }
                try Self.insert(site: site, users: users, db: db)
                created = true
                return .commit
            }
            return created
        }
        if created { changes.publish(.sites) }
        return created
    }

    public func createSite(_ site: Site, users: [User]) async throws {
        try await mapConstraint {
            try await pool.write { db in try Self.insert(site: site, users: users, db: db) }
        }
        changes.publish(.sites)
    }

    private static func insert(site: Site, users: [User], db: Database) throws {
        try db.execute(
            sql: """
                INSERT INTO sites (id, name, is_default, auth_token_key, next_user_id, created_at, business_unit, area, cluster)
                VALUES (?, ?, ?, ?, 3, ?, ?, ?, ?)
                """,
            arguments: [site.id.lowercasedString, site.name, site.isDefault, Data(site.authTokenKey), seconds(site.createdAt),
                        site.tenant.businessUnit, site.tenant.area, site.tenant.cluster]
        )
        for host in site.hostnames {
            try db.execute(sql: "INSERT INTO site_hostnames (hostname, site_id) VALUES (?, ?)",
                           arguments: [host, site.id.lowercasedString])
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
                    authTokenKey: Array(key), createdAt: Date(timeIntervalSince1970: TimeInterval(row["created_at"] as Int64)),
                    tenant: TenantProfile(businessUnit: row["business_unit"], area: row["area"], cluster: row["cluster"]),
                    legacyTokens: LegacyTokenSettings(enabled: row["legacy_tokens"], sealedAPIKey: (row["legacy_api_key"] as Data?).map { Array($0) }),
                    branding: SiteBranding(logoURL: row["branding_logo"], colour: row["branding_colour"]))
    }

    /// Takes the next value of a per-site counter; called inside an immediate transaction.
    private static func nextID(_ counter: SiteCounter, site: UUID, db: Database) throws -> Int {
        let id = site.lowercasedString
        guard let next = try Int.fetchOne(db, sql: "SELECT \(counter.rawValue) FROM sites WHERE id = ?", arguments: [id]) else {
            throw StoreError.notFound
        }
        try db.execute(sql: "UPDATE sites SET \(counter.rawValue) = \(counter.rawValue) + 1 WHERE id = ?", arguments: [id])
        return next
    }

    // MARK: Users

    public func createUser(_ user: User) async throws -> User {
        let created = try await mapConstraint {
            try await pool.writeWithoutTransaction { db in
                var stored = user
                try db.inTransaction(.immediate) {
                    stored.id = try Self.nextID(.user, site: user.siteID, db: db)
                    try Self.insert(user: stored, db: db)
                    return .commit
                }
                return stored
            }
        }
        changes.publish(.user(site: created.siteID, id: created.id))
        return created
    }

    private static func insert(user: User, db: Database) throws {
        try db.execute(
            sql: """
            INSERT INTO users (site_id, id, guid, username, username_key, email, full_name, status, has_seat, role,
                               password_hash, security_stamp, created_at, last_login_at)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """,
            arguments: [
                user.siteID.lowercasedString, user.id, user.guid.lowercasedString, user.username,
                usernameKey(user.username), user.email, user.fullName, user.status.rawValue, user.hasSeat, user.roleName,
                user.passwordHash, user.securityStamp, seconds(user.createdAt), user.lastLoginAt.map(seconds),
            ]
        )
    }

    public func user(site: UUID, guid: UUID) async throws -> User? {
        try await pool.read { db in
            try Row.fetchOne(db, sql: "SELECT * FROM users WHERE site_id = ? AND guid = ?",
                             arguments: [site.lowercasedString, guid.lowercasedString]).map(Self.user)
        }
    }

    public func user(site: UUID, id: Int) async throws -> User? {
        try await pool.read { db in
            try Row.fetchOne(db, sql: "SELECT * FROM users WHERE site_id = ? AND id = ?",
                             arguments: [site.lowercasedString, id]).map(Self.user)
        }
    }

    public func user(site: UUID, username: String) async throws -> User? {
        try await pool.read { db in
            try Row.fetchOne(db, sql: "SELECT * FROM users WHERE site_id = ? AND username_key = ?",
                             arguments: [site.lowercasedString, usernameKey(username)]).map(Self.user)
        }
    }

    public func users(site: UUID, offset: Int, limit: Int) async throws -> [User] {
        try await pool.read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM users WHERE site_id = ? ORDER BY id LIMIT ? OFFSET ?",
                             arguments: [site.lowercasedString, limit, offset]).map(Self.user)
        }
    }

    public func userCount(site: UUID) async throws -> Int {
        try await pool.read { db in
            try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM users WHERE site_id = ?", arguments: [site.lowercasedString]) ?? 0
        }
    }

    public func activeUserCount(site: UUID, roleName: String) async throws -> Int {
        try await pool.read { db in
            try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM users WHERE site_id = ? AND role = ? AND status = 'active'",
                             arguments: [site.lowercasedString, roleName]) ?? 0
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
                        user.siteID.lowercasedString, user.id,
                    ]
                )
                if db.changesCount == 0 { throw StoreError.notFound }
            }
        }
        changes.publish(.user(site: user.siteID, id: user.id))
    }

    static func user(_ row: Row) throws -> User {
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

    // MARK: Master key

    public func masterKeyFingerprint(proposed: String) async throws -> String {
        try await pool.write { db in
            try db.execute(sql: "INSERT INTO server_settings (name, value) VALUES ('master_key_fingerprint', ?) ON CONFLICT (name) DO NOTHING",
                           arguments: [proposed])
            return try String.fetchOne(db, sql: "SELECT value FROM server_settings WHERE name = 'master_key_fingerprint'") ?? proposed
        }
    }

    // MARK: Developer tokens

    public func createDeveloperToken(_ token: DeveloperToken) async throws -> DeveloperToken {
        let created = try await mapConstraint {
            try await pool.writeWithoutTransaction { db in
                var stored = token
                try db.inTransaction(.immediate) {
                    let site = token.siteID.lowercasedString
                    stored.id = try Self.nextID(.developerToken, site: token.siteID, db: db)
                    try db.execute(
                        sql: """
                        INSERT INTO developer_tokens (site_id, id, type, name, key, hosts, restricted_user_id, secret_salt, secret_hash,
                                                      jwt_salt, created_by, created_at)
                        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                        """,
                        arguments: [site, stored.id, stored.type.rawValue, stored.name, stored.key, stored.hosts.joined(separator: ","),
                                    stored.restrictedUserID, stored.secretSalt, stored.secretHash, stored.jwtSalt, stored.createdBy,
                                    seconds(stored.createdAt)]
                    )
                    return .commit
                }
                return stored
            }
        }
        changes.publish(.developerTokens(site: token.siteID))
        return created
    }

    public func developerTokens(site: UUID) async throws -> [DeveloperToken] {
        try await pool.read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM developer_tokens WHERE site_id = ? ORDER BY id", arguments: [site.lowercasedString])
                .map { row in
                    guard let type = DeveloperTokenType(rawValue: row["type"]) else { throw StoreError.notFound }
                    let hosts: String = row["hosts"]
                    return DeveloperToken(
                        siteID: site, id: row["id"], type: type, name: row["name"], key: row["key"],
                        hosts: hosts.split(separator: ",").map(String.init), restrictedUserID: row["restricted_user_id"],
                        secretSalt: row["secret_salt"], secretHash: row["secret_hash"], jwtSalt: row["jwt_salt"],
                        createdBy: row["created_by"], createdAt: Date(timeIntervalSince1970: TimeInterval(row["created_at"] as Int64))
                    )
                }
        }
    }

    public func updateDeveloperToken(_ token: DeveloperToken) async throws {
        try await pool.write { db in
            try db.execute(
                sql: """
                UPDATE developer_tokens SET name = ?, hosts = ?, restricted_user_id = ?, secret_salt = ?, secret_hash = ?, jwt_salt = ?
                WHERE site_id = ? AND id = ?
                """,
                arguments: [token.name, token.hosts.joined(separator: ","), token.restrictedUserID, token.secretSalt, token.secretHash,
                            token.jwtSalt, token.siteID.lowercasedString, token.id]
            )
            if db.changesCount == 0 { throw StoreError.notFound }
        }
        changes.publish(.developerTokens(site: token.siteID))
    }

    public func deleteDeveloperToken(site: UUID, id: Int) async throws -> Bool {
        let deleted = try await pool.write { db in
            try db.execute(sql: "DELETE FROM developer_tokens WHERE site_id = ? AND id = ?", arguments: [site.lowercasedString, id])
            return db.changesCount > 0
        }
        changes.publish(.developerTokens(site: site))
        return deleted
    }

    // MARK: Audit

    public func appendAudit(_ events: [AuditEvent]) async throws {
        try await pool.write { db in
            for event in events {
                try db.execute(
                    sql: """
                    INSERT INTO audit_events (site_id, at, action, outcome, actor_user_id, token_id, client_address, detail)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                    """,
                    arguments: [event.siteID.lowercasedString, seconds(event.at), event.action, event.outcome, event.actorUserID,
                                event.tokenID, event.clientAddress, event.detail]
                )
            }
        }
    }

    public func auditEvents(site: UUID, offset: Int, limit: Int) async throws -> [AuditEvent] {
        try await pool.read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM audit_events WHERE site_id = ? ORDER BY id DESC LIMIT ? OFFSET ?",
                             arguments: [site.lowercasedString, limit, offset]).map { row in
                AuditEvent(siteID: site, id: row["id"], at: Date(timeIntervalSince1970: TimeInterval(row["at"] as Int64)),
                           action: row["action"], outcome: row["outcome"], actorUserID: row["actor_user_id"], tokenID: row["token_id"],
                           clientAddress: row["client_address"], detail: row["detail"])
            }
        }
    }

    /// Turns SQLite's uniqueness failures into `StoreError.conflict`.
    func mapConstraint<T>(_ body: () async throws -> T) async throws -> T {
        do {
            return try await body()
        } catch let error as DatabaseError
            where error.extendedResultCode == .SQLITE_CONSTRAINT_UNIQUE || error.extendedResultCode == .SQLITE_CONSTRAINT_PRIMARYKEY {
            throw StoreError.conflict(error.message ?? "unique constraint")
        }
    }
}

func seconds(_ date: Date) -> Int64 { Int64(date.timeIntervalSince1970.rounded(.down)) }
