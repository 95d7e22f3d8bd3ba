import Foundation
import TesseraCore

/// The identity providers each site trusts.
extension SQLStore: IdentityProviderStore {
    public func createIdentityProvider(_ p: IdentityProvider) async throws {
        let claims = String(decoding: try JSONEncoder().encode(p.claims), as: UTF8.self)
        let inserted = try await db.execute("""
            INSERT INTO identity_providers (site_id, issuer, audience, jwks_url, static_jwks, claims, created_at)
            VALUES (\(p.siteID), \(p.issuer), \(p.audience), \(p.jwksURL), \(p.staticJWKS), \(claims), \(p.createdAt))
            ON CONFLICT DO NOTHING
            """)
        if inserted == 0 { throw StoreError.conflict("identity provider \(p.issuer)") }
    }

    public func identityProviders(site: UUID) async throws -> [IdentityProvider] {
        try await db.read("SELECT * FROM identity_providers WHERE site_id = \(site) ORDER BY created_at, issuer").map { row in
            let claims = (try? JSONDecoder().decode(IdentityProvider.ClaimMapping.self, from: Data(try row.string("claims").utf8))) ?? .init()
            return IdentityProvider(siteID: site, issuer: try row.string("issuer"), audience: try row.string("audience"),
                                    jwksURL: try row.optionalString("jwks_url"), staticJWKS: try row.optionalString("static_jwks"), claims: claims,
                                    createdAt: try row.date("created_at"))
        }
    }

    public func deleteIdentityProvider(site: UUID, issuer: String) async throws -> Bool {
        try await db.execute("DELETE FROM identity_providers WHERE site_id = \(site) AND issuer = \(issuer)") > 0
    }
}
