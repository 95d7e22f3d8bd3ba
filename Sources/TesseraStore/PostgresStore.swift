import Foundation
import Logging
import NIOSSL
import PostgresNIO
import TesseraCore
import TesseraCrypto

/// The shared store: one PostgreSQL database behind any number of Tessera instances.
public final class PostgresStore: Store {
    let client: PostgresClient
    private let runner: Task<Void, Never>
    private let listener: Task<Void, Never>
    let logger: Logger
    /// Fed by LISTEN on `tessera_changes`, where every instance announces its writes; live only while listening.
    public let changes = ChangeFeed(live: false)
    static let channel = "tessera_changes"

    /// Connects lazily to the database named by a `postgres://user:password@host:port/database?sslmode=...` URL.
    public init(url: String, logger: Logger) throws {
        self.client = PostgresClient(configuration: try Self.configuration(url), backgroundLogger: logger)
        self.logger = logger
        // The client's connection pool lives as long as the store; close() ends it.
        let client = self.client
        self.runner = Task { await client.run() }
        let changes = self.changes
        self.listener = Task { await Self.listen(client: client, changes: changes, logger: logger) }
    }

    /// Keeps one connection listening for change announcements; reconnects after a second when it drops. While it
    /// is down the feed is not live, so caches read through to the database.
    private static func listen(client: PostgresClient, changes: ChangeFeed, logger: Logger) async {
        while !Task.isCancelled {
            do {
                try await client.withConnection { connection in
                    try await connection.listen(on: channel) { notifications in
                        changes.setLive(true)
                        for try await notification in notifications {
                            if let change = StoreChange(payload: notification.payload) { changes.publish(change) }
                        }
                    }
                }
            } catch {
                if Task.isCancelled { break }
                logger.warning("change listener lost its connection; retrying", metadata: ["error": "\(type(of: error))"])
            }
            changes.setLive(false)
            try? await Task.sleep(for: .seconds(1))
        }
    }

    /// Announces a change to every instance (this one included) once the surrounding transaction commits.
    func announce(_ change: StoreChange, on db: PostgresConnection) async throws {
        try await db.query("SELECT pg_notify(\(Self.channel), \(change.payload))", logger: logger)
    }

    func announce(_ change: StoreChange) async throws {
        try await client.query("SELECT pg_notify(\(Self.channel), \(change.payload))", logger: logger)
    }

    /// Parses a connection URL. Supported query parameter: `sslmode` = disable (default), prefer or require.
    static func configuration(_ url: String) throws -> PostgresClient.Configuration {
        guard let parts = URLComponents(string: url), parts.scheme == "postgres" || parts.scheme == "postgresql",
              let host = parts.host, !host.isEmpty
        else { throw ConfigurationError("database URL must look like postgres://user:password@host:port/database") }
        let database = parts.path.hasPrefix("/") ? String(parts.path.dropFirst()) : parts.path
        let mode = parts.queryItems?.first { $0.name == "sslmode" }?.value ?? "disable"
        let tls: PostgresClient.Configuration.TLS
        switch mode {
        case "disable": tls = .disable
        case "prefer": tls = .prefer(.makeClientConfiguration())
        case "require", "verify-full": tls = .require(.makeClientConfiguration())
        default: throw ConfigurationError("unsupported sslmode '\(mode)' (use disable, prefer or require)")
        }
        return PostgresClient.Configuration(
            host: host, port: parts.port ?? 5432, username: parts.user?.removingPercentEncoding ?? "postgres",
            password: parts.password?.removingPercentEncoding, database: database.isEmpty ? nil : database, tls: tls
        )
    }

    public func migrate() async throws {
        try await client.withTransaction(logger: logger) { db in
            // One instance migrates at a time; the others wait here, then find nothing left to do.
            try await db.query("SELECT pg_advisory_xact_lock(7365727261)", logger: logger)
            try await db.query("CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at BIGINT NOT NULL)", logger: logger)
            var applied = Set<Int>()
            for try await version in try await db.query("SELECT version FROM schema_migrations", logger: logger).decode(Int.self) {
                applied.insert(version)
            }
            for step in Migrations.postgres where !applied.contains(step.version) {
                for statement in step.statements { try await db.query(PostgresQuery(unsafeSQL: statement), logger: logger) }
                let now = seconds(Date())
                try await db.query("INSERT INTO schema_migrations (version, applied_at) VALUES (\(step.version), \(now))", logger: logger)
            }
        }
    }

    public func ping() async throws {
        try await client.query("SELECT 1", logger: logger)
    }

    public func close() async throws {
        listener.cancel()
        await listener.value
        runner.cancel()
        await runner.value
    }

    // MARK: Sites

    public func bootstrapDefaultSite(_ site: Site, users: [User]) async throws -> Bool {
        try await client.withTransaction(logger: logger) { db in
            try await db.query("SELECT pg_advisory_xact_lock(7365727262)", logger: logger)
            let existing = try await db.query("SELECT 1 FROM sites WHERE is_default", logger: logger)
            for try await _ in existing { return false }
            try await insert(site: site, users: users, db: db)
            try await announce(.sites, on: db)
            return true
        }
    }

    public func createSite(_ site: Site, users: [User]) async throws {
        try await mapConstraint {
            try await client.withTransaction(logger: logger) { db in
                try await insert(site: site, users: users, db: db)
                try await announce(.sites, on: db)
            }
        }
    }

    private func insert(site: Site, users: [User], db: PostgresConnection) async throws {
        try await db.query("""
            INSERT INTO sites (id, name, is_default, auth_token_key, next_user_id, created_at, business_unit, area, cluster)
            VALUES (\(site.id), \(site.name), \(site.isDefault), \(Data(site.authTokenKey)), 3, \(seconds(site.createdAt)),
                    \(site.tenant.businessUnit), \(site.tenant.area), \(site.tenant.cluster))
            """, logger: logger)
        for host in site.hostnames {
            try await db.query("INSERT INTO site_hostnames (hostname, site_id) VALUES (\(host), \(site.id))", logger: logger)
        }
        for user in users { try await insert(user: user, db: db) }
    }

    public func sites() async throws -> [Site] {
        var hostnames: [UUID: [String]] = [:]
        for try await (host, site) in try await client.query("SELECT hostname, site_id FROM site_hostnames ORDER BY hostname", logger: logger)
            .decode((String, UUID).self) {
            hostnames[site, default: []].append(host)
        }
        var sites: [Site] = []
        let rows = try await client.query(
            """
            SELECT id, name, is_default, auth_token_key, created_at, business_unit, area, cluster, legacy_tokens, legacy_api_key,
                   branding_logo, branding_colour
            FROM sites ORDER BY created_at, id
            """, logger: logger)
        for try await (id, name, isDefault, key, created, unit, area, cluster, legacy, apiKey, logo, colour) in rows
            .decode((UUID, String, Bool, Data, Int64, Int, String, String, Bool, Data?, String?, String?).self) {
            sites.append(Site(id: id, name: name, hostnames: hostnames[id] ?? [], isDefault: isDefault, authTokenKey: Array(key),
                              createdAt: Date(timeIntervalSince1970: TimeInterval(created)),
                              tenant: TenantProfile(businessUnit: unit, area: area, cluster: cluster),
                              legacyTokens: LegacyTokenSettings(enabled: legacy, sealedAPIKey: apiKey.map { Array($0) }),
                              branding: SiteBranding(logoURL: logo, colour: colour)))
        }
        return sites
    }

    public func site(id: UUID) async throws -> Site? {
        try await sites().first { $0.id == id }
    }

    // MARK: Users

    private static let userColumns = """
        site_id, id, guid, username, email, full_name, status, has_seat, role, password_hash, security_stamp, created_at, last_login_at
        """

    public func createUser(_ user: User) async throws -> User {
        try await mapConstraint {
            try await client.withTransaction(logger: logger) { db in
                var stored = user
                stored.id = try await nextID(.user, site: user.siteID, db: db)
                try await insert(user: stored, db: db)
                try await announce(.user(site: stored.siteID, id: stored.id), on: db)
                return stored
            }
        }
    }

    private func insert(user: User, db: PostgresConnection) async throws {
        try await db.query("""
            INSERT INTO users (site_id, id, guid, username, username_key, email, full_name, status, has_seat, role,
                               password_hash, security_stamp, created_at, last_login_at)
            VALUES (\(user.siteID), \(user.id), \(user.guid), \(user.username), \(usernameKey(user.username)), \(user.email),
                    \(user.fullName), \(user.status.rawValue), \(user.hasSeat), \(user.roleName), \(user.passwordHash),
                    \(user.securityStamp), \(seconds(user.createdAt)), \(user.lastLoginAt.map(seconds)))
            """, logger: logger)
    }

    public func user(site: UUID, id: Int) async throws -> User? {
        try await fetchUsers("SELECT \(unescaped: Self.userColumns) FROM users WHERE site_id = \(site) AND id = \(id)").first
    }

    public func user(site: UUID, guid: UUID) async throws -> User? {
        try await fetchUsers("SELECT \(unescaped: Self.userColumns) FROM users WHERE site_id = \(site) AND guid = \(guid)").first
    }

    public func user(site: UUID, username: String) async throws -> User? {
        try await fetchUsers("SELECT \(unescaped: Self.userColumns) FROM users WHERE site_id = \(site) AND username_key = \(usernameKey(username))").first
    }

    public func users(site: UUID, offset: Int, limit: Int) async throws -> [User] {
        try await fetchUsers("SELECT \(unescaped: Self.userColumns) FROM users WHERE site_id = \(site) ORDER BY id LIMIT \(limit) OFFSET \(offset)")
    }

    public func userCount(site: UUID) async throws -> Int {
        try await count("SELECT COUNT(*) FROM users WHERE site_id = \(site)")
    }

    public func activeUserCount(site: UUID, roleName: String) async throws -> Int {
        try await count("SELECT COUNT(*) FROM users WHERE site_id = \(site) AND role = \(roleName) AND status = 'active'")
    }

    public func updateUser(_ user: User) async throws {
        try await mapConstraint {
            let rows = try await client.query("""
                UPDATE users SET username = \(user.username), username_key = \(usernameKey(user.username)), email = \(user.email),
                    full_name = \(user.fullName), status = \(user.status.rawValue), has_seat = \(user.hasSeat), role = \(user.roleName),
                    password_hash = \(user.passwordHash), security_stamp = \(user.securityStamp),
                    last_login_at = \(user.lastLoginAt.map(seconds))
                WHERE site_id = \(user.siteID) AND id = \(user.id)
                RETURNING id
                """, logger: logger)
            var found = false
            for try await _ in rows { found = true }
            if !found { throw StoreError.notFound }
            try await announce(.user(site: user.siteID, id: user.id))
        }
    }

    // MARK: Master key

    public func masterKeyFingerprint(proposed: String) async throws -> String {
        try await client.query(
            "INSERT INTO server_settings (name, value) VALUES ('master_key_fingerprint', \(proposed)) ON CONFLICT (name) DO NOTHING",
            logger: logger)
        for try await value in try await client.query("SELECT value FROM server_settings WHERE name = 'master_key_fingerprint'", logger: logger)
            .decode(String.self) {
            return value
        }
        return proposed
    }

    // MARK: Developer tokens

    public func createDeveloperToken(_ token: DeveloperToken) async throws -> DeveloperToken {
        try await mapConstraint {
            try await client.withTransaction(logger: logger) { db in
                var stored = token
                stored.id = try await nextID(.developerToken, site: token.siteID, db: db)
                try await db.query("""
                    INSERT INTO developer_tokens (site_id, id, type, name, key, hosts, restricted_user_id, secret_salt, secret_hash,
                                                  jwt_salt, created_by, created_at)
                    VALUES (\(stored.siteID), \(stored.id), \(stored.type.rawValue), \(stored.name), \(stored.key),
                            \(stored.hosts.joined(separator: ",")), \(stored.restrictedUserID), \(stored.secretSalt), \(stored.secretHash),
                            \(stored.jwtSalt), \(stored.createdBy), \(seconds(stored.createdAt)))
                    """, logger: logger)
                try await announce(.developerTokens(site: stored.siteID), on: db)
                return stored
            }
        }
    }

    public func developerTokens(site: UUID) async throws -> [DeveloperToken] {
        var tokens: [DeveloperToken] = []
        let rows = try await client.query("""
            SELECT id, type, name, key, hosts, restricted_user_id, secret_salt, secret_hash, jwt_salt, created_by, created_at
            FROM developer_tokens WHERE site_id = \(site) ORDER BY id
            """, logger: logger)
        for try await row in rows {
            let r = row.makeRandomAccess()
            guard let type = DeveloperTokenType(rawValue: try r["type"].decode(String.self)) else { throw StoreError.notFound }
            tokens.append(DeveloperToken(
                siteID: site, id: try r["id"].decode(Int.self), type: type, name: try r["name"].decode(String.self),
                key: try r["key"].decode(String.self), hosts: try r["hosts"].decode(String.self).split(separator: ",").map(String.init),
                restrictedUserID: try r["restricted_user_id"].decode(Int?.self), secretSalt: try r["secret_salt"].decode(String?.self),
                secretHash: try r["secret_hash"].decode(String?.self), jwtSalt: try r["jwt_salt"].decode(String?.self),
                createdBy: try r["created_by"].decode(Int.self),
                createdAt: Date(timeIntervalSince1970: TimeInterval(try r["created_at"].decode(Int64.self)))
            ))
        }
        return tokens
    }

    public func updateDeveloperToken(_ token: DeveloperToken) async throws {
        try await mapConstraint {
            try await client.withTransaction(logger: logger) { db in
                let rows = try await db.query("""
                    UPDATE developer_tokens SET name = \(token.name), hosts = \(token.hosts.joined(separator: ",")),
                        restricted_user_id = \(token.restrictedUserID), secret_salt = \(token.secretSalt), secret_hash = \(token.secretHash),
                        jwt_salt = \(token.jwtSalt)
                    WHERE site_id = \(token.siteID) AND id = \(token.id)
                    RETURNING id
                    """, logger: logger)
                var found = false
                for try await _ in rows { found = true }
                if !found { throw StoreError.notFound }
                try await announce(.developerTokens(site: token.siteID), on: db)
            }
        }
    }

    public func deleteDeveloperToken(site: UUID, id: Int) async throws -> Bool {
        try await client.withTransaction(logger: logger) { db in
            let rows = try await db.query("DELETE FROM developer_tokens WHERE site_id = \(site) AND id = \(id) RETURNING id", logger: logger)
            var found = false
            for try await _ in rows { found = true }
            try await announce(.developerTokens(site: site), on: db)
            return found
        }
    }

    // MARK: Audit

    public func appendAudit(_ events: [AuditEvent]) async throws {
        guard !events.isEmpty else { return }
        try await client.withTransaction(logger: logger) { db in
            for event in events {
                try await db.query("""
                    INSERT INTO audit_events (site_id, at, action, outcome, actor_user_id, token_id, client_address, detail)
                    VALUES (\(event.siteID), \(seconds(event.at)), \(event.action), \(event.outcome), \(event.actorUserID), \(event.tokenID),
                            \(event.clientAddress), \(event.detail))
                    """, logger: logger)
            }
        }
    }

    public func auditEvents(site: UUID, offset: Int, limit: Int) async throws -> [AuditEvent] {
        var events: [AuditEvent] = []
        let rows = try await client.query("""
            SELECT id, at, action, outcome, actor_user_id, token_id, client_address, detail FROM audit_events
            WHERE site_id = \(site) ORDER BY id DESC LIMIT \(limit) OFFSET \(offset)
            """, logger: logger)
        for try await (id, at, action, outcome, actor, token, address, detail) in rows.decode((Int64, Int64, String, String, Int?, Int?, String, String).self) {
            events.append(AuditEvent(siteID: site, id: id, at: Date(timeIntervalSince1970: TimeInterval(at)), action: action, outcome: outcome,
                                     actorUserID: actor, tokenID: token, clientAddress: address, detail: detail))
        }
        return events
    }

    /// Takes the next value of a per-site counter. The row lock on the site serialises this across instances.
    private func nextID(_ counter: SiteCounter, site: UUID, db: PostgresConnection) async throws -> Int {
        let column = counter.rawValue
        let rows = try await db.query(
            "UPDATE sites SET \(unescaped: column) = \(unescaped: column) + 1 WHERE id = \(site) RETURNING \(unescaped: column) - 1", logger: logger)
        // Read the sequence to its end: the connection is used again in the same transaction.
        var assigned: Int?
        for try await id in rows.decode(Int.self) { assigned = id }
        guard let assigned else { throw StoreError.notFound }
        return assigned
    }

    private func count(_ query: PostgresQuery) async throws -> Int {
        for try await n in try await client.query(query, logger: logger).decode(Int.self) { return n }
        return 0
    }

    private func fetchUsers(_ query: PostgresQuery) async throws -> [User] {
        var result: [User] = []
        let rows = try await client.query(query, logger: logger)
        for try await row in rows {
            let r = row.makeRandomAccess()
            guard let status = UserStatus(rawValue: try r["status"].decode(String.self)) else { throw StoreError.notFound }
            result.append(User(
                siteID: try r["site_id"].decode(UUID.self), id: try r["id"].decode(Int.self), guid: try r["guid"].decode(UUID.self),
                username: try r["username"].decode(String.self), email: try r["email"].decode(String.self),
                fullName: try r["full_name"].decode(String.self), status: status, hasSeat: try r["has_seat"].decode(Bool.self),
                roleName: try r["role"].decode(String.self), passwordHash: try r["password_hash"].decode(String?.self),
                securityStamp: try r["security_stamp"].decode(String.self),
                createdAt: Date(timeIntervalSince1970: TimeInterval(try r["created_at"].decode(Int64.self))),
                lastLoginAt: try r["last_login_at"].decode(Int64?.self).map { Date(timeIntervalSince1970: TimeInterval($0)) }
            ))
        }
        return result
    }

    /// Turns PostgreSQL's unique_violation (SQLSTATE 23505) into `StoreError.conflict`.
    func mapConstraint<T>(_ body: () async throws -> T) async throws -> T {
        do {
            return try await body()
        } catch let error as PSQLError where error.serverInfo?[.sqlState] == "23505" {
            throw StoreError.conflict(error.serverInfo?[.message] ?? "unique constraint")
        } catch let error as PostgresTransactionError {
            if let inner = error.closureError as? PSQLError, inner.serverInfo?[.sqlState] == "23505" {
                throw StoreError.conflict(inner.serverInfo?[.message] ?? "unique constraint")
            }
            if let inner = error.closureError as? StoreError { throw inner }
            throw error
        }
    }
}

/// A configuration value that cannot be used.
public struct ConfigurationError: Error, CustomStringConvertible, Sendable {
    public var description: String
    public init(_ description: String) { self.description = description }
}

extension StoreChange {
    /// The NOTIFY payload: `user|<site>|<id>`, `tokens|<site>`, `keys|<site>`, `revoked|<site>|<expiry>|<reference>`, `sites`, `applications` or `all`.
    var payload: String {
        switch self {
        case .user(let site, let id): "user|\(site.lowercasedString)|\(id)"
        case .developerTokens(let site): "tokens|\(site.lowercasedString)"
        case .signingKeys(let site): "keys|\(site.lowercasedString)"
        case .sites: "sites"
        case .applications: "applications"
        case .revoked(let r): "revoked|\(r.siteID.lowercasedString)|\(r.expiresAt)|\(r.reference)"
        case .all: "all"
        }
    }

    init?(payload: String) {
        let parts = payload.split(separator: "|").map(String.init)
        switch parts.first {
        case "user":
            guard parts.count == 3, let site = UUID(uuidString: parts[1]), let id = Int(parts[2]) else { return nil }
            self = .user(site: site, id: id)
        case "tokens":
            guard parts.count == 2, let site = UUID(uuidString: parts[1]) else { return nil }
            self = .developerTokens(site: site)
        case "keys":
            guard parts.count == 2, let site = UUID(uuidString: parts[1]) else { return nil }
            self = .signingKeys(site: site)
        case "sites": self = .sites
        case "applications": self = .applications
        case "revoked":
            // The reference is the rest of the payload.
            let fields = payload.split(separator: "|", maxSplits: 3).map(String.init)
            guard fields.count == 4, let site = UUID(uuidString: fields[1]), let expires = Int64(fields[2]) else { return nil }
            self = .revoked(Revocation(siteID: site, reference: fields[3], expiresAt: expires))
        case "all": self = .all
        default: return nil
        }
    }
}
