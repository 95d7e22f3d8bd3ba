import Foundation
import PostgresNIO
import TesseraCore
import TesseraCrypto

/// Revocations, legacy-token settings and trusted identity providers in PostgreSQL.
extension PostgresStore {
    public func refreshToken(hash: String) async throws -> RefreshToken? {
        let rows = try await client.query("""
            SELECT family_id, site_id, user_id, client_id, scope, auth_time, created_at, expires_at
            FROM refresh_tokens WHERE token_hash = \(hash) AND used_at IS NULL AND NOT revoked
            """, logger: logger)
        for try await (family, site, user, client, scope, authTime, created, expires) in rows
            .decode((String, UUID, Int, String?, String, Int64, Int64, Int64).self) {
            guard let familyID = UUID(uuidString: family) else { return nil }
            return RefreshToken(hash: hash, familyID: familyID, siteID: site, userID: user, clientID: client, scope: scope, authTime: authTime,
                                createdAt: date(created), expiresAt: date(expires))
        }
        return nil
    }

    // MARK: Revocations

    public func addRevocation(_ revocation: Revocation) async throws {
        try await transaction { db in
            try await db.query("DELETE FROM revocations WHERE expires_at < \(seconds(Date()))", logger: logger)
            try await db.query("""
                INSERT INTO revocations (site_id, reference, expires_at) VALUES (\(revocation.siteID), \(revocation.reference), \(revocation.expiresAt))
                ON CONFLICT DO NOTHING
                """, logger: logger)
            try await announce(.revoked(revocation), on: db)
        }
    }

    public func revocations(notExpiredAt epoch: Int64) async throws -> [Revocation] {
        var found: [Revocation] = []
        let rows = try await client.query("SELECT site_id, reference, expires_at FROM revocations WHERE expires_at >= \(epoch)", logger: logger)
        for try await (site, reference, expires) in rows.decode((UUID, String, Int64).self) {
            found.append(Revocation(siteID: site, reference: reference, expiresAt: expires))
        }
        return found
    }

    public func isRevoked(site: UUID, reference: String) async throws -> Bool {
        try await Self.any(client.query("SELECT 1 FROM revocations WHERE site_id = \(site) AND reference = \(reference)", logger: logger))
    }

    // MARK: Legacy tokens

    public func updateLegacyTokens(site: UUID, _ settings: LegacyTokenSettings) async throws {
        try await transaction { db in
            let key = settings.sealedAPIKey.map { Data($0) }
            let rows = try await db.query("""
                UPDATE sites SET legacy_tokens = \(settings.enabled), legacy_api_key = \(key) WHERE id = \(site) RETURNING id
                """, logger: logger)
            guard try await Self.any(rows) else { throw StoreError.notFound }
            try await announce(.sites, on: db)
        }
    }

    // MARK: Identity providers

    public func createIdentityProvider(_ provider: IdentityProvider) async throws {
        let claims = String(decoding: try JSONEncoder().encode(provider.claims), as: UTF8.self)
        let rows = try await client.query("""
            INSERT INTO identity_providers (site_id, issuer, audience, jwks_url, static_jwks, claims, created_at)
            VALUES (\(provider.siteID), \(provider.issuer), \(provider.audience), \(provider.jwksURL), \(provider.staticJWKS), \(claims),
                    \(seconds(provider.createdAt)))
            ON CONFLICT DO NOTHING RETURNING issuer
            """, logger: logger)
        guard try await Self.any(rows) else { throw StoreError.conflict("identity provider \(provider.issuer)") }
    }

    public func identityProviders(site: UUID) async throws -> [IdentityProvider] {
        var found: [IdentityProvider] = []
        let rows = try await client.query("""
            SELECT issuer, audience, jwks_url, static_jwks, claims, created_at FROM identity_providers WHERE site_id = \(site) ORDER BY created_at, issuer
            """, logger: logger)
        for try await (issuer, audience, url, jwks, claims, created) in rows.decode((String, String, String?, String?, String, Int64).self) {
            found.append(IdentityProvider(siteID: site, issuer: issuer, audience: audience, jwksURL: url, staticJWKS: jwks, claims: identityClaims(claims),
                                          createdAt: date(created)))
        }
        return found
    }

    public func deleteIdentityProvider(site: UUID, issuer: String) async throws -> Bool {
        try await Self.any(client.query("DELETE FROM identity_providers WHERE site_id = \(site) AND issuer = \(issuer) RETURNING issuer", logger: logger))
    }
}
