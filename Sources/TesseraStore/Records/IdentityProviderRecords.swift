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

/// Links from external identities to local users.
extension SQLStore {
    public func createIdentityLink(_ link: IdentityLink) async throws {
        try await db.execute("""
            INSERT INTO identity_links (site_id, issuer, subject, user_id, created_at)
            VALUES (\(link.siteID), \(link.issuer), \(link.subject), \(link.userID), \(link.createdAt))
            """)
    }

    public func identityLink(site: UUID, issuer: String, subject: String) async throws -> IdentityLink? {
        try await db.readOne("SELECT * FROM identity_links WHERE site_id = \(site) AND issuer = \(issuer) AND subject = \(subject)")
            .map(Self.identityLink)
    }

    public func identityLinks(site: UUID, userID: Int?) async throws -> [IdentityLink] {
        let filter: SQL = userID.map { (id: Int) -> SQL in "site_id = \(site) AND user_id = \(id)" } ?? "site_id = \(site)"
        return try await db.read("SELECT * FROM identity_links WHERE \(filter) ORDER BY created_at, issuer, subject").map(Self.identityLink)
    }

    public func deleteIdentityLink(site: UUID, issuer: String, subject: String) async throws -> Bool {
        try await db.execute("DELETE FROM identity_links WHERE site_id = \(site) AND issuer = \(issuer) AND subject = \(subject)") > 0
    }

    private static func identityLink(_ row: SQLRow) throws -> IdentityLink {
        IdentityLink(siteID: try row.uuid("site_id"), issuer: try row.string("issuer"), subject: try row.string("subject"),
                     userID: try row.int("user_id"), createdAt: try row.date("created_at"))
    }
}
