import Foundation
import PostgresNIO
import TesseraCore
import TesseraCrypto

/// Tenants, signing keys, access keys, OAuth clients and grants in PostgreSQL.
extension PostgresStore {
    public func updateTenant(site: UUID, _ tenant: TenantProfile) async throws {
        try await transaction { db in
            let rows = try await db.query("""
                UPDATE sites SET business_unit = \(tenant.businessUnit), area = \(tenant.area), cluster = \(tenant.cluster)
                WHERE id = \(site) RETURNING id
                """, logger: logger)
            guard try await Self.any(rows) else { throw StoreError.notFound }
            try await announce(.sites, on: db)
        }
    }

    /// A transaction whose own errors (`StoreError`) come out unwrapped.
    func transaction<T>(isolation: isolated (any Actor)? = #isolation, _ body: (PostgresConnection) async throws -> sending T) async throws -> sending T {
        do {
            return try await client.withTransaction(logger: logger, isolation: isolation, body)
        } catch let error as PostgresTransactionError {
            if let inner = error.closureError as? StoreError { throw inner }
            throw error
        }
    }

    static func any(_ rows: PostgresRowSequence) async throws -> Bool {
        for try await _ in rows { return true }
        return false
    }

    // MARK: Signing keys

    public func signingKeys(site: UUID) async throws -> [StoredSigningKey] {
        var keys: [StoredSigningKey] = []
        let rows = try await client.query(
            "SELECT kid, sealed_private_key, created_at FROM signing_keys WHERE site_id = \(site) ORDER BY seq DESC", logger: logger)
        for try await (kid, sealed, created) in rows.decode((String, Data, Int64).self) {
            keys.append(StoredSigningKey(siteID: site, kid: kid, sealedPrivateKey: Array(sealed), createdAt: date(created)))
        }
        return keys
    }

    public func addSigningKey(_ key: StoredSigningKey, ifNewestIs newest: String?) async throws -> Bool {
        try await transaction { db in
            // The site row's lock orders instances that rotate at the same moment.
            _ = try await Self.any(try await db.query("SELECT id FROM sites WHERE id = \(key.siteID) FOR UPDATE", logger: logger))
            var top: (String, Int)?
            for try await row in try await db.query(
                "SELECT kid, seq FROM signing_keys WHERE site_id = \(key.siteID) ORDER BY seq DESC LIMIT 1", logger: logger).decode((String, Int).self) {
                top = row
            }
            guard top?.0 == newest else { return false }
            try await db.query("""
                INSERT INTO signing_keys (site_id, kid, sealed_private_key, created_at, seq)
                VALUES (\(key.siteID), \(key.kid), \(Data(key.sealedPrivateKey)), \(seconds(key.createdAt)), \((top?.1 ?? 0) + 1))
                """, logger: logger)
            try await announce(.signingKeys(site: key.siteID), on: db)
            return true
        }
    }

    // MARK: Access keys

    public func createAccessKey(_ key: AccessKey) async throws {
        try await mapConstraint {
            try await client.query("""
                INSERT INTO access_keys (id, site_id, user_id, secret_hash, is_active, created_at, last_used_at)
                VALUES (\(key.id), \(key.siteID), \(key.userID), \(key.secretHash), \(key.isActive), \(seconds(key.createdAt)),
                        \(key.lastUsedAt.map(seconds)))
                """, logger: logger)
        }
    }

    private static let accessKeyColumns = "id, user_id, secret_hash, is_active, created_at, last_used_at"

    private func fetchAccessKeys(_ query: PostgresQuery, site: UUID) async throws -> [AccessKey] {
        var keys: [AccessKey] = []
        for try await (id, user, hash, active, created, used) in try await client.query(query, logger: logger)
            .decode((String, Int, String, Bool, Int64, Int64?).self) {
            keys.append(AccessKey(siteID: site, id: id, userID: user, secretHash: hash, isActive: active, createdAt: date(created),
                                  lastUsedAt: used.map(date)))
        }
        return keys
    }

    public func accessKey(site: UUID, id: String) async throws -> AccessKey? {
        try await fetchAccessKeys("SELECT \(unescaped: Self.accessKeyColumns) FROM access_keys WHERE site_id = \(site) AND id = \(id)", site: site).first
    }

    public func accessKeys(site: UUID, userID: Int?, offset: Int, limit: Int) async throws -> (keys: [AccessKey], total: Int) {
        var total = 0
        for try await count in try await client.query("""
            SELECT COUNT(*) FROM access_keys WHERE site_id = \(site) AND (\(userID)::BIGINT IS NULL OR user_id = \(userID))
            """, logger: logger).decode(Int.self) {
            total = count
        }
        let keys = try await fetchAccessKeys("""
            SELECT \(unescaped: Self.accessKeyColumns) FROM access_keys WHERE site_id = \(site) AND (\(userID)::BIGINT IS NULL OR user_id = \(userID))
            ORDER BY created_at, id LIMIT \(limit) OFFSET \(offset)
            """, site: site)
        return (keys, total)
    }

    public func updateAccessKey(_ key: AccessKey) async throws {
        let rows = try await client.query("""
            UPDATE access_keys SET is_active = \(key.isActive), last_used_at = \(key.lastUsedAt.map(seconds))
            WHERE site_id = \(key.siteID) AND id = \(key.id) RETURNING id
            """, logger: logger)
        guard try await Self.any(rows) else { throw StoreError.notFound }
    }

    public func deleteAccessKey(site: UUID, id: String) async throws -> Bool {
        try await Self.any(try await client.query("DELETE FROM access_keys WHERE site_id = \(site) AND id = \(id) RETURNING id", logger: logger))
    }

    // MARK: Applications

    public func createApplication(_ application: Application) async throws {
        try await mapConstraint {
            try await transaction { db in
                try await insert(application, on: db)
                try await announce(.applications, on: db)
            }
        }
    }

    func insert(_ application: Application, on db: PostgresConnection) async throws {
        try await db.query("""
            INSERT INTO applications (client_id, site_id, name, type, auth_method, secret_salt, redirect_uris, multi_tenant, is_enabled, created_at,
                                      tracking_number, environment, logout_uris, origins)
            VALUES (\(application.clientID), \(application.siteID), \(application.name), \(application.type.rawValue),
                    \(application.authMethod.rawValue), \(application.secretSalt), \(encodeList(application.redirectURIs)),
                    \(application.multiTenant), \(application.isEnabled), \(seconds(application.createdAt)),
                    \(application.trackingNumber), \(application.environment), \(encodeList(application.logoutURIs)),
                    \(encodeList(application.origins)))
            """, logger: logger)
    }

    public func application(clientID: String) async throws -> Application? {
        try await applications(client.query("SELECT \(unescaped: Self.applicationColumns) FROM applications WHERE client_id = \(clientID)",
                                            logger: logger)).first
    }

    static let applicationColumns = """
        client_id, site_id, name, type, auth_method, secret_salt, redirect_uris, multi_tenant, is_enabled, created_at, tracking_number,
        environment, logout_uris, origins
        """

    func applications(_ rows: PostgresRowSequence) async throws -> [Application] {
        var found: [Application] = []
        for try await (id, site, name, type, method, salt, uris, multi, enabled, created, tracking, environment, logouts, origins) in rows
            .decode((String, UUID, String, String, String, String?, String, Bool, Bool, Int64, String?, String, String, String).self) {
            guard let type = ApplicationType(rawValue: type), let method = ClientAuthMethod(rawValue: method) else { continue }
            found.append(Application(siteID: site, clientID: id, name: name, type: type, authMethod: method, secretSalt: salt,
                                     redirectURIs: decodeList(uris), multiTenant: multi, isEnabled: enabled, createdAt: date(created),
                                     trackingNumber: tracking, environment: environment, logoutURIs: decodeList(logouts),
                                     origins: decodeList(origins)))
        }
        return found
    }

    // MARK: Refresh tokens and codes

    public func insertRefreshToken(_ token: RefreshToken) async throws {
        try await client.query("""
            INSERT INTO refresh_tokens (token_hash, family_id, site_id, user_id, client_id, scope, auth_time, created_at, expires_at)
            VALUES (\(token.hash), \(token.familyID.lowercasedString), \(token.siteID), \(token.userID), \(token.clientID), \(token.scope),
                    \(token.authTime), \(seconds(token.createdAt)), \(seconds(token.expiresAt)))
            """, logger: logger)
    }

    public func consumeRefreshToken(hash: String) async throws -> Consumption<RefreshToken> {
        try await transaction { db in
            let rows = try await db.query("""
                SELECT family_id, site_id, user_id, client_id, scope, auth_time, created_at, expires_at, used_at, revoked
                FROM refresh_tokens WHERE token_hash = \(hash) FOR UPDATE
                """, logger: logger)
            for try await (family, site, user, client, scope, authTime, created, expires, used, revoked) in rows
                .decode((String, UUID, Int, String?, String, Int64, Int64, Int64, Int64?, Bool).self) {
                guard !revoked, let familyID = UUID(uuidString: family) else { return .invalid }
                if used != nil {
                    try await revoke(family: family, on: db)
                    return .reused(family: familyID, site: site)
                }
                try await db.query("UPDATE refresh_tokens SET used_at = \(seconds(Date())) WHERE token_hash = \(hash)", logger: logger)
                return .fresh(RefreshToken(hash: hash, familyID: familyID, siteID: site, userID: user, clientID: client, scope: scope,
                                           authTime: authTime, createdAt: date(created), expiresAt: date(expires)))
            }
            return .invalid
        }
    }

    public func revokeRefreshFamily(_ family: UUID) async throws {
        try await client.withConnection { db in try await revoke(family: family.lowercasedString, on: db) }
    }

    private func revoke(family: String, on db: PostgresConnection) async throws {
        try await db.query("UPDATE refresh_tokens SET revoked = TRUE WHERE family_id = \(family)", logger: logger)
    }

    public func insertAuthorizationCode(_ code: AuthorizationCode) async throws {
        try await client.query("""
            INSERT INTO authorization_codes (code_hash, site_id, client_id, user_id, redirect_uri, code_challenge, nonce, scope, auth_time,
                                             family_id, created_at, expires_at)
            VALUES (\(code.hash), \(code.siteID), \(code.clientID), \(code.userID), \(code.redirectURI), \(code.codeChallenge), \(code.nonce),
                    \(code.scope), \(code.authTime), \(code.familyID.lowercasedString), \(seconds(code.createdAt)), \(seconds(code.expiresAt)))
            """, logger: logger)
    }

    public func consumeAuthorizationCode(hash: String) async throws -> Consumption<AuthorizationCode> {
        try await transaction { db in
            let rows = try await db.query("""
                SELECT site_id, client_id, user_id, redirect_uri, code_challenge, nonce, scope, auth_time, family_id, created_at, expires_at, used_at
                FROM authorization_codes WHERE code_hash = \(hash) FOR UPDATE
                """, logger: logger)
            for try await row in rows {
                let r = row.makeRandomAccess()
                let family = try r["family_id"].decode(String.self)
                guard let familyID = UUID(uuidString: family) else { return .invalid }
                if try r["used_at"].decode(Int64?.self) != nil {
                    try await revoke(family: family, on: db)
                    return .reused(family: familyID, site: try r["site_id"].decode(UUID.self))
                }
                try await db.query("UPDATE authorization_codes SET used_at = \(seconds(Date())) WHERE code_hash = \(hash)", logger: logger)
                return .fresh(AuthorizationCode(
                    hash: hash, siteID: try r["site_id"].decode(UUID.self), clientID: try r["client_id"].decode(String.self),
                    userID: try r["user_id"].decode(Int.self), redirectURI: try r["redirect_uri"].decode(String.self),
                    codeChallenge: try r["code_challenge"].decode(String?.self), nonce: try r["nonce"].decode(String?.self),
                    scope: try r["scope"].decode(String.self), authTime: try r["auth_time"].decode(Int64.self), familyID: familyID,
                    createdAt: date(try r["created_at"].decode(Int64.self)), expiresAt: date(try r["expires_at"].decode(Int64.self))))
            }
            return .invalid
        }
    }

    public func recordClientAssertion(clientID: String, jti: String, expiresAt: Date) async throws -> Bool {
        try await client.query("DELETE FROM client_assertions WHERE expires_at < \(seconds(Date()))", logger: logger)
        return try await Self.any(try await client.query("""
            INSERT INTO client_assertions (client_id, jti, expires_at) VALUES (\(clientID), \(jti), \(seconds(expiresAt)))
            ON CONFLICT DO NOTHING RETURNING jti
            """, logger: logger))
    }
}
