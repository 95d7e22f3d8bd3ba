import Foundation
import GRDB
import TesseraCore
import TesseraCrypto

/// Tenants, signing keys, access keys, OAuth clients and grants in SQLite.
extension SQLiteStore {
    public func updateTenant(site: UUID, _ tenant: TenantProfile) async throws {
        try await pool.write { db in
            try db.execute(sql: "UPDATE sites SET business_unit = ?, area = ?, cluster = ? WHERE id = ?",
                           arguments: [tenant.businessUnit, tenant.area, tenant.cluster, site.lowercasedString])
            if db.changesCount == 0 { throw StoreError.notFound }
        }
        changes.publish(.sites)
    }

    // MARK: Signing keys

    public func signingKeys(site: UUID) async throws -> [StoredSigningKey] {
        try await pool.read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM signing_keys WHERE site_id = ? ORDER BY seq DESC", arguments: [site.lowercasedString]).map { row in
                let sealed: Data = row["sealed_private_key"]
                return StoredSigningKey(siteID: site, kid: row["kid"], sealedPrivateKey: Array(sealed), createdAt: date(row["created_at"]))
            }
        }
    }

    public func addSigningKey(_ key: StoredSigningKey, ifNewestIs newest: String?) async throws -> Bool {
        let added = try await pool.writeWithoutTransaction { db in
            var added = false
            try db.inTransaction(.immediate) {
                let site = key.siteID.lowercasedString
                let top = try Row.fetchOne(db, sql: "SELECT kid, seq FROM signing_keys WHERE site_id = ? ORDER BY seq DESC LIMIT 1", arguments: [site])
                guard (top?["kid"] as String?) == newest else { return .rollback }
                try db.execute(sql: "INSERT INTO signing_keys (site_id, kid, sealed_private_key, created_at, seq) VALUES (?, ?, ?, ?, ?)",
                               arguments: [site, key.kid, Data(key.sealedPrivateKey), seconds(key.createdAt), ((top?["seq"] as Int?) ?? 0) + 1])
                added = true
                return .commit
            }
            return added
        }
        if added { changes.publish(.signingKeys(site: key.siteID)) }
        return added
    }

    // MARK: Access keys

    public func createAccessKey(_ key: AccessKey) async throws {
        try await mapConstraint {
            try await pool.write { db in
                try db.execute(sql: """
                    INSERT INTO access_keys (id, site_id, user_id, secret_hash, is_active, created_at, last_used_at) VALUES (?, ?, ?, ?, ?, ?, ?)
                    """, arguments: [key.id, key.siteID.lowercasedString, key.userID, key.secretHash, key.isActive, seconds(key.createdAt),
                                     key.lastUsedAt.map(seconds)])
            }
        }
    }

    public func accessKey(site: UUID, id: String) async throws -> AccessKey? {
        try await pool.read { db in
            try Row.fetchOne(db, sql: "SELECT * FROM access_keys WHERE site_id = ? AND id = ?", arguments: [site.lowercasedString, id])
                .map { Self.accessKey($0, site: site) }
        }
    }

    public func accessKeys(site: UUID, userID: Int?, offset: Int, limit: Int) async throws -> (keys: [AccessKey], total: Int) {
        try await pool.read { db in
            let filter = userID == nil ? "" : " AND user_id = ?"
            var arguments: StatementArguments = [site.lowercasedString]
            if let userID { arguments += [userID] }
            let total = try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM access_keys WHERE site_id = ?" + filter, arguments: arguments) ?? 0
            let keys = try Row.fetchAll(db, sql: "SELECT * FROM access_keys WHERE site_id = ?\(filter) ORDER BY created_at, id LIMIT ? OFFSET ?",
                                        arguments: arguments + [limit, offset]).map { Self.accessKey($0, site: site) }
            return (keys, total)
        }
    }

    public func updateAccessKey(_ key: AccessKey) async throws {
        try await pool.write { db in
            try db.execute(sql: "UPDATE access_keys SET is_active = ?, last_used_at = ? WHERE site_id = ? AND id = ?",
                           arguments: [key.isActive, key.lastUsedAt.map(seconds), key.siteID.lowercasedString, key.id])
            if db.changesCount == 0 { throw StoreError.notFound }
        }
    }

    public func deleteAccessKey(site: UUID, id: String) async throws -> Bool {
        try await pool.write { db in
            try db.execute(sql: "DELETE FROM access_keys WHERE site_id = ? AND id = ?", arguments: [site.lowercasedString, id])
            return db.changesCount > 0
        }
    }

    private static func accessKey(_ row: Row, site: UUID) -> AccessKey {
        AccessKey(siteID: site, id: row["id"], userID: row["user_id"], secretHash: row["secret_hash"], isActive: row["is_active"],
                  createdAt: date(row["created_at"]), lastUsedAt: (row["last_used_at"] as Int64?).map(date))
    }

    // MARK: Applications

    public func createApplication(_ application: Application) async throws {
        try await mapConstraint {
            try await pool.write { db in
                try db.execute(sql: """
                    INSERT INTO applications (client_id, site_id, name, type, auth_method, secret_salt, redirect_uris, multi_tenant, is_enabled, created_at,
                                              tracking_number, environment, logout_uris, origins)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                    """, arguments: Self.arguments(application))
            }
        }
        changes.publish(.applications)
    }

    static func arguments(_ application: Application) -> StatementArguments {
        [application.clientID, application.siteID.lowercasedString, application.name, application.type.rawValue,
         application.authMethod.rawValue, application.secretSalt, encodeList(application.redirectURIs),
         application.multiTenant, application.isEnabled, seconds(application.createdAt),
         application.trackingNumber, application.environment, encodeList(application.logoutURIs), encodeList(application.origins)]
    }

    static func application(_ row: Row) -> Application? {
        guard let site = UUID(uuidString: row["site_id"]), let type = ApplicationType(rawValue: row["type"]),
              let method = ClientAuthMethod(rawValue: row["auth_method"])
        else { return nil }
        return Application(siteID: site, clientID: row["client_id"], name: row["name"], type: type, authMethod: method,
                           secretSalt: row["secret_salt"], redirectURIs: decodeList(row["redirect_uris"]), multiTenant: row["multi_tenant"],
                           isEnabled: row["is_enabled"], createdAt: date(row["created_at"]), trackingNumber: row["tracking_number"],
                           environment: row["environment"], logoutURIs: decodeList(row["logout_uris"]), origins: decodeList(row["origins"]))
    }

    public func application(clientID: String) async throws -> Application? {
        try await pool.read { db in
            try Row.fetchOne(db, sql: "SELECT * FROM applications WHERE client_id = ?", arguments: [clientID]).flatMap(Self.application)
        }
    }

    // MARK: Refresh tokens and codes

    public func insertRefreshToken(_ token: RefreshToken) async throws {
        try await pool.write { db in
            try db.execute(sql: """
                INSERT INTO refresh_tokens (token_hash, family_id, site_id, user_id, client_id, scope, auth_time, created_at, expires_at)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
                """, arguments: [token.hash, token.familyID.lowercasedString, token.siteID.lowercasedString, token.userID, token.clientID,
                                 token.scope, token.authTime, seconds(token.createdAt), seconds(token.expiresAt)])
        }
    }

    public func consumeRefreshToken(hash: String) async throws -> Consumption<RefreshToken> {
        try await pool.writeWithoutTransaction { db in
            var result = Consumption<RefreshToken>.invalid
            try db.inTransaction(.immediate) {
                guard let row = try Row.fetchOne(db, sql: "SELECT * FROM refresh_tokens WHERE token_hash = ?", arguments: [hash]),
                      let family = UUID(uuidString: row["family_id"]), let site = UUID(uuidString: row["site_id"])
                else { return .commit }
                if row["revoked"] as Bool { return .commit }
                if (row["used_at"] as Int64?) != nil {
                    try Self.revoke(family: family, db: db)
                    result = .reused(family: family, site: site)
                    return .commit
                }
                try db.execute(sql: "UPDATE refresh_tokens SET used_at = ? WHERE token_hash = ?", arguments: [seconds(Date()), hash])
                result = .fresh(RefreshToken(hash: hash, familyID: family, siteID: site, userID: row["user_id"], clientID: row["client_id"],
                                             scope: row["scope"], authTime: row["auth_time"], createdAt: date(row["created_at"]),
                                             expiresAt: date(row["expires_at"])))
                return .commit
            }
            return result
        }
    }

    public func revokeRefreshFamily(_ family: UUID) async throws {
        try await pool.write { db in try Self.revoke(family: family, db: db) }
    }

    private static func revoke(family: UUID, db: Database) throws {
        try db.execute(sql: "UPDATE refresh_tokens SET revoked = 1 WHERE family_id = ?", arguments: [family.lowercasedString])
    }

    public func insertAuthorizationCode(_ code: AuthorizationCode) async throws {
        try await pool.write { db in
            try db.execute(sql: """
                INSERT INTO authorization_codes (code_hash, site_id, client_id, user_id, redirect_uri, code_challenge, nonce, scope, auth_time,
                                                 family_id, created_at, expires_at)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """, arguments: [code.hash, code.siteID.lowercasedString, code.clientID, code.userID, code.redirectURI, code.codeChallenge,
                                 code.nonce, code.scope, code.authTime, code.familyID.lowercasedString, seconds(code.createdAt),
                                 seconds(code.expiresAt)])
        }
    }

    public func consumeAuthorizationCode(hash: String) async throws -> Consumption<AuthorizationCode> {
        try await pool.writeWithoutTransaction { db in
            var result = Consumption<AuthorizationCode>.invalid
            try db.inTransaction(.immediate) {
                guard let row = try Row.fetchOne(db, sql: "SELECT * FROM authorization_codes WHERE code_hash = ?", arguments: [hash]),
                      let family = UUID(uuidString: row["family_id"]), let site = UUID(uuidString: row["site_id"])
                else { return .commit }
                if (row["used_at"] as Int64?) != nil {
                    try Self.revoke(family: family, db: db)
                    result = .reused(family: family, site: site)
                    return .commit
                }
                try db.execute(sql: "UPDATE authorization_codes SET used_at = ? WHERE code_hash = ?", arguments: [seconds(Date()), hash])
                result = .fresh(AuthorizationCode(
                    hash: hash, siteID: site, clientID: row["client_id"], userID: row["user_id"], redirectURI: row["redirect_uri"],
                    codeChallenge: row["code_challenge"], nonce: row["nonce"], scope: row["scope"], authTime: row["auth_time"], familyID: family,
                    createdAt: date(row["created_at"]), expiresAt: date(row["expires_at"])))
                return .commit
            }
            return result
        }
    }

    public func recordClientAssertion(clientID: String, jti: String, expiresAt: Date) async throws -> Bool {
        try await pool.write { db in
            try db.execute(sql: "DELETE FROM client_assertions WHERE expires_at < ?", arguments: [seconds(Date())])
            try db.execute(sql: "INSERT OR IGNORE INTO client_assertions (client_id, jti, expires_at) VALUES (?, ?, ?)",
                           arguments: [clientID, jti, seconds(expiresAt)])
            return db.changesCount > 0
        }
    }
}

func date(_ seconds: Int64) -> Date { Date(timeIntervalSince1970: TimeInterval(seconds)) }

/// Lists of URIs are kept as JSON arrays (a URI may contain commas).
func encodeList(_ items: [String]) -> String {
    String(decoding: (try? JSONEncoder().encode(items)) ?? Data("[]".utf8), as: UTF8.self)
}

func decodeList(_ text: String) -> [String] {
    (try? JSONDecoder().decode([String].self, from: Data(text.utf8))) ?? []
}
