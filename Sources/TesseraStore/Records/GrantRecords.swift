import Foundation
import TesseraCore

/// Consents, refresh-token families, authorization codes, device requests and seen client assertions.
extension SQLStore: GrantStore {
    // MARK: Consent

    public func saveGrant(_ g: Grant) async throws {
        try await db.execute("""
            INSERT INTO grants (site_id, user_id, client_id, client_name, scope, created_at, updated_at)
            VALUES (\(g.siteID), \(g.userID), \(g.clientID), \(g.clientName), \(g.scope), \(g.createdAt), \(g.updatedAt))
            ON CONFLICT (site_id, user_id, client_id) DO UPDATE SET client_name = excluded.client_name, scope = excluded.scope,
                updated_at = excluded.updated_at
            """)
    }

    public func grants(site: UUID, userID: Int) async throws -> [Grant] {
        try await db.read("SELECT * FROM grants WHERE site_id = \(site) AND user_id = \(userID) ORDER BY created_at, client_id").map { row in
            Grant(siteID: site, userID: userID, clientID: try row.string("client_id"), clientName: try row.string("client_name"),
                  scope: try row.string("scope"), createdAt: try row.date("created_at"), updatedAt: try row.date("updated_at"))
        }
    }

    public func deleteGrant(site: UUID, userID: Int, clientID: String) async throws -> Bool {
        try await db.execute("DELETE FROM grants WHERE site_id = \(site) AND user_id = \(userID) AND client_id = \(clientID)") > 0
    }

    // MARK: Refresh tokens

    public func insertRefreshToken(_ t: RefreshToken) async throws {
        try await Self.insertRefreshToken(t, on: db)
    }

    public func rotateRefreshToken(spending hash: String, at: Date, successor: RefreshToken) async throws -> SpendOutcome<RefreshToken> {
        try await db.transaction { tx in
            let spent = try await tx.write("""
                UPDATE refresh_tokens SET used_at = \(at) WHERE token_hash = \(hash) AND used_at IS NULL AND NOT revoked RETURNING *
                """)
            if let row = spent.first {
                try await Self.insertRefreshToken(successor, on: tx)
                return .spent(try Self.refreshToken(row))
            }
            guard let row = try await tx.readOne("SELECT * FROM refresh_tokens WHERE token_hash = \(hash)") else { return .unknown }
            if try row.bool("revoked") { return .revoked }
            return .alreadySpent(try Self.refreshToken(row))
        }
    }

    /// A family id as bound to `family_id`: a TEXT column in databases made by releases before schema step 6 until
    /// `tessera migrate --finish` converts it (older instances may serve beside this one meanwhile), UUID after.
    private static func family(_ id: UUID) -> SQLValue { .inferred(id.lowercasedString) }

    private static func insertRefreshToken(_ t: RefreshToken, on db: any SQLExecutor) async throws {
        try await db.execute("""
            INSERT INTO refresh_tokens (token_hash, family_id, site_id, user_id, client_id, scope, auth_time, created_at, expires_at, first_hand,
                                        sign_in_session, issued_ms)
            VALUES (\(t.hash), \(Self.family(t.familyID)), \(t.siteID), \(t.userID), \(t.clientID), \(t.scope), \(t.authTime), \(t.createdAt), \(t.expiresAt),
                    \(t.firstHand), \(t.signInSession), \(t.issuedMillis))
            """)
    }

    public func spendRefreshToken(hash: String, at: Date) async throws -> SpendOutcome<RefreshToken> {
        let spent = try await db.write("""
            UPDATE refresh_tokens SET used_at = \(at) WHERE token_hash = \(hash) AND used_at IS NULL AND NOT revoked RETURNING *
            """)
        if let row = spent.first { return .spent(try Self.refreshToken(row)) }
        guard let row = try await db.readOne("SELECT * FROM refresh_tokens WHERE token_hash = \(hash)") else { return .unknown }
        if try row.bool("revoked") { return .revoked }
        return .alreadySpent(try Self.refreshToken(row))
    }

    public func refreshToken(hash: String) async throws -> RefreshToken? {
        try await db.readOne("SELECT * FROM refresh_tokens WHERE token_hash = \(hash) AND used_at IS NULL AND NOT revoked").map(Self.refreshToken)
    }

    public func revokeRefreshFamily(_ family: UUID) async throws {
        try await db.execute("UPDATE refresh_tokens SET revoked = \(true) WHERE family_id = \(Self.family(family))")
    }

    public func revokeRefreshTokens(site: UUID, userID: Int, clientID: String) async throws -> [UUID] {
        try await db.transaction { tx in
            let families = try await tx.read("""
                SELECT DISTINCT family_id FROM refresh_tokens
                WHERE site_id = \(site) AND user_id = \(userID) AND client_id = \(clientID) AND NOT revoked
                """).map { try $0.uuid("family_id") }
            try await tx.execute("""
                UPDATE refresh_tokens SET revoked = \(true) WHERE site_id = \(site) AND user_id = \(userID) AND client_id = \(clientID)
                """)
            try await tx.execute("""
                DELETE FROM authorization_codes WHERE site_id = \(site) AND user_id = \(userID) AND client_id = \(clientID) AND used_at IS NULL
                """)
            return families
        }
    }

    public func revokeRefreshTokens(signInSession: String) async throws -> [(site: UUID, family: UUID)] {
        try await db.transaction { tx in
            let families = try await tx.read("""
                SELECT DISTINCT site_id, family_id FROM refresh_tokens WHERE sign_in_session = \(signInSession) AND NOT revoked
                """).map { (site: try $0.uuid("site_id"), family: try $0.uuid("family_id")) }
            try await tx.execute("UPDATE refresh_tokens SET revoked = \(true) WHERE sign_in_session = \(signInSession)")
            try await tx.execute("DELETE FROM authorization_codes WHERE sign_in_session = \(signInSession) AND used_at IS NULL")
            return families
        }
    }

    private static func refreshToken(_ row: SQLRow) throws -> RefreshToken {
        RefreshToken(hash: try row.string("token_hash"), familyID: try row.uuid("family_id"), siteID: try row.uuid("site_id"),
                     userID: try row.int("user_id"), clientID: try row.optionalString("client_id"), scope: try row.string("scope"),
                     authTime: try row.int64("auth_time"), createdAt: try row.date("created_at"), expiresAt: try row.date("expires_at"),
                     firstHand: try row.bool("first_hand"), signInSession: try row.optionalString("sign_in_session"),
                     issuedMillis: try row.optionalInt64("issued_ms"))
    }

    // MARK: Authorization codes

    public func insertAuthorizationCode(_ c: AuthorizationCode) async throws {
        try await db.execute("""
            INSERT INTO authorization_codes (code_hash, site_id, client_id, user_id, redirect_uri, code_challenge, nonce, scope, auth_time,
                                             family_id, created_at, expires_at, sign_in_session, issued_ms)
            VALUES (\(c.hash), \(c.siteID), \(c.clientID), \(c.userID), \(c.redirectURI), \(c.codeChallenge), \(c.nonce), \(c.scope), \(c.authTime),
                    \(Self.family(c.familyID)), \(c.createdAt), \(c.expiresAt), \(c.signInSession), \(c.issuedMillis))
            """)
    }

    public func spendAuthorizationCode(hash: String, at: Date) async throws -> SpendOutcome<AuthorizationCode> {
        let spent = try await db.write("UPDATE authorization_codes SET used_at = \(at) WHERE code_hash = \(hash) AND used_at IS NULL RETURNING *")
        if let row = spent.first { return .spent(try Self.authorizationCode(row)) }
        guard let row = try await db.readOne("SELECT * FROM authorization_codes WHERE code_hash = \(hash)") else { return .unknown }
        return .alreadySpent(try Self.authorizationCode(row))
    }

    private static func authorizationCode(_ row: SQLRow) throws -> AuthorizationCode {
        AuthorizationCode(hash: try row.string("code_hash"), siteID: try row.uuid("site_id"), clientID: try row.string("client_id"),
                          userID: try row.int("user_id"), redirectURI: try row.string("redirect_uri"), codeChallenge: try row.optionalString("code_challenge"),
                          nonce: try row.optionalString("nonce"), scope: try row.string("scope"), authTime: try row.int64("auth_time"),
                          familyID: try row.uuid("family_id"), createdAt: try row.date("created_at"), expiresAt: try row.date("expires_at"),
                          signInSession: try row.optionalString("sign_in_session"), issuedMillis: try row.optionalInt64("issued_ms"))
    }

    // MARK: Device requests

    public func insertDeviceAuthorization(_ a: DeviceAuthorization) async throws {
        try await db.transaction { tx in
            // A user code becomes free again a minute after its request expired.
            try await tx.execute("DELETE FROM device_authorizations WHERE expires_at < \(a.createdAt.addingTimeInterval(-60))")
            try await tx.execute("""
                INSERT INTO device_authorizations (device_code_hash, user_code, site_id, client_id, scope, status, user_id, created_at, expires_at)
                VALUES (\(a.deviceCodeHash), \(a.userCode), \(a.siteID), \(a.clientID), \(a.scope), \(a.status.rawValue), \(a.userID), \(a.createdAt),
                        \(a.expiresAt))
                """)
        }
    }

    public func deviceAuthorization(site: UUID, userCode: String) async throws -> DeviceAuthorization? {
        try await db.readOne("SELECT * FROM device_authorizations WHERE site_id = \(site) AND user_code = \(userCode)").map(Self.deviceAuthorization)
    }

    public func decideDeviceAuthorization(site: UUID, userCode: String, userID: Int, approve: Bool, at: Date) async throws -> Bool {
        try await db.execute("""
            UPDATE device_authorizations SET status = \(approve ? "approved" : "denied"), user_id = \(userID)
            WHERE site_id = \(site) AND user_code = \(userCode) AND status = 'pending' AND expires_at > \(at)
            """) > 0
    }

    public func pollDeviceAuthorization(hash: String) async throws -> DeviceAuthorization? {
        // Only one poll can turn an approved request into a used one: its tokens are issued once.
        let taken = try await db.write("""
            UPDATE device_authorizations SET status = 'used' WHERE device_code_hash = \(hash) AND status = 'approved' RETURNING *
            """)
        if let row = taken.first {
            var approved = try Self.deviceAuthorization(row)
            approved.status = .approved
            return approved
        }
        return try await db.readOne("SELECT * FROM device_authorizations WHERE device_code_hash = \(hash)").map(Self.deviceAuthorization)
    }

    private static func deviceAuthorization(_ row: SQLRow) throws -> DeviceAuthorization {
        guard let status = DeviceAuthorization.Status(rawValue: try row.string("status")) else { throw StoreError.unreadable("device request status") }
        return DeviceAuthorization(deviceCodeHash: try row.string("device_code_hash"), userCode: try row.string("user_code"),
                                   siteID: try row.uuid("site_id"), clientID: try row.string("client_id"), scope: try row.string("scope"),
                                   status: status, userID: try row.optionalInt("user_id"), createdAt: try row.date("created_at"),
                                   expiresAt: try row.date("expires_at"))
    }

    // MARK: Client assertions

    public func forgetExpiredGrants(before: Date) async throws -> Int {
        try await db.transaction { tx in
            var forgotten = try await tx.execute("DELETE FROM authorization_codes WHERE expires_at < \(before)")
            forgotten += try await tx.execute("DELETE FROM device_authorizations WHERE expires_at < \(before)")
            forgotten += try await tx.execute("DELETE FROM refresh_tokens WHERE expires_at < \(before)")
            forgotten += try await tx.execute("DELETE FROM client_assertions WHERE expires_at < \(before)")
            return forgotten
        }
    }

    public func recordClientAssertion(clientID: String, jti: String, expiresAt: Date, now: Date) async throws -> Bool {
        try await db.transaction { tx in
            try await tx.execute("DELETE FROM client_assertions WHERE expires_at < \(now)")
            return try await tx.execute("""
                INSERT INTO client_assertions (client_id, jti, expires_at) VALUES (\(clientID), \(jti), \(expiresAt)) ON CONFLICT DO NOTHING
                """) > 0
        }
    }
}
