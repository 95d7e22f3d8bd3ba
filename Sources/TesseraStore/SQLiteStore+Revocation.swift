import Foundation
import GRDB
import TesseraCore
import TesseraCrypto

/// Revocations, legacy-token settings and trusted identity providers in SQLite.
extension SQLiteStore {
    public func refreshToken(hash: String) async throws -> RefreshToken? {
        try await pool.read { db in
            guard let row = try Row.fetchOne(db, sql: "SELECT * FROM refresh_tokens WHERE token_hash = ? AND used_at IS NULL AND revoked = 0",
                                             arguments: [hash]),
                  let family = UUID(uuidString: row["family_id"]), let site = UUID(uuidString: row["site_id"])
            else { return nil }
            return RefreshToken(hash: hash, familyID: family, siteID: site, userID: row["user_id"], clientID: row["client_id"], scope: row["scope"],
                                authTime: row["auth_time"], createdAt: date(row["created_at"]), expiresAt: date(row["expires_at"]))
        }
    }

    // MARK: Revocations

    public func addRevocation(_ revocation: Revocation) async throws {
        try await pool.write { db in
            try db.execute(sql: "DELETE FROM revocations WHERE expires_at < ?", arguments: [seconds(Date())])
            try db.execute(sql: "INSERT OR IGNORE INTO revocations (site_id, reference, expires_at) VALUES (?, ?, ?)",
                           arguments: [revocation.siteID.lowercasedString, revocation.reference, revocation.expiresAt])
        }
        changes.publish(.revoked(revocation))
    }

    public func revocations(notExpiredAt epoch: Int64) async throws -> [Revocation] {
        try await pool.read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM revocations WHERE expires_at >= ?", arguments: [epoch]).compactMap { row in
                UUID(uuidString: row["site_id"]).map { Revocation(siteID: $0, reference: row["reference"], expiresAt: row["expires_at"]) }
            }
        }
    }

    public func isRevoked(site: UUID, reference: String) async throws -> Bool {
        try await pool.read { db in
            try Bool.fetchOne(db, sql: "SELECT 1 FROM revocations WHERE site_id = ? AND reference = ?", arguments: [site.lowercasedString, reference]) != nil
        }
    }

    // MARK: Legacy tokens

    public func updateLegacyTokens(site: UUID, _ settings: LegacyTokenSettings) async throws {
        try await pool.write { db in
            try db.execute(sql: "UPDATE sites SET legacy_tokens = ?, legacy_api_key = ? WHERE id = ?",
                           arguments: [settings.enabled, settings.sealedAPIKey.map { Data($0) }, site.lowercasedString])
            if db.changesCount == 0 { throw StoreError.notFound }
        }
        changes.publish(.sites)
    }

    // MARK: Identity providers

    public func createIdentityProvider(_ provider: IdentityProvider) async throws {
        let claims = String(decoding: try JSONEncoder().encode(provider.claims), as: UTF8.self)
        try await pool.write { db in
            try db.execute(sql: "INSERT OR IGNORE INTO identity_providers (site_id, issuer, audience, jwks_url, static_jwks, claims, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                           arguments: [provider.siteID.lowercasedString, provider.issuer, provider.audience, provider.jwksURL, provider.staticJWKS,
                                       claims, seconds(provider.createdAt)])
            if db.changesCount == 0 { throw StoreError.conflict("identity provider \(provider.issuer)") }
        }
    }

    public func identityProviders(site: UUID) async throws -> [IdentityProvider] {
        try await pool.read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM identity_providers WHERE site_id = ? ORDER BY created_at, issuer", arguments: [site.lowercasedString])
                .map { row in
                    IdentityProvider(siteID: site, issuer: row["issuer"], audience: row["audience"], jwksURL: row["jwks_url"], staticJWKS: row["static_jwks"],
                                     claims: identityClaims(row["claims"]), createdAt: date(row["created_at"]))
                }
        }
    }

    public func deleteIdentityProvider(site: UUID, issuer: String) async throws -> Bool {
        try await pool.write { db in
            try db.execute(sql: "DELETE FROM identity_providers WHERE site_id = ? AND issuer = ?", arguments: [site.lowercasedString, issuer])
            return db.changesCount > 0
        }
    }
}

/// A provider's claim mapping as stored (JSON); the defaults when the column cannot be read.
func identityClaims(_ json: String) -> IdentityProvider.ClaimMapping {
    (try? JSONDecoder().decode(IdentityProvider.ClaimMapping.self, from: Data(json.utf8))) ?? .init()
}
