import Foundation
import TesseraCore

/// RS256 signing keys, sealed, by site.
extension SQLStore: SigningKeyStore {
    static let rotationLock: Int64 = 7_365_727_263

    public func signingKeys(site: UUID) async throws -> [StoredSigningKey] {
        try await db.read("SELECT * FROM signing_keys WHERE site_id = \(site) ORDER BY seq DESC").map { row in
            StoredSigningKey(siteID: site, kid: try row.string("kid"), sealedPrivateKey: try row.bytes("sealed_private_key"),
                             createdAt: try row.date("created_at"))
        }
    }

    public func addSigningKey(_ key: StoredSigningKey, ifNewestIs newest: String?) async throws -> Bool {
        // Instances that rotate at the same moment take turns; the first one's key wins.
        try await db.transaction(exclusive: Self.rotationLock) { tx in
            let top = try await tx.readOne("SELECT kid, seq FROM signing_keys WHERE site_id = \(key.siteID) ORDER BY seq DESC LIMIT 1")
            guard try top?.string("kid") == newest else { return false }
            try await tx.execute("""
                INSERT INTO signing_keys (site_id, kid, sealed_private_key, created_at, seq)
                VALUES (\(key.siteID), \(key.kid), \(key.sealedPrivateKey), \(key.createdAt), \((try top?.int("seq") ?? 0) + 1))
                """)
            try await tx.announce(.signingKeys(site: key.siteID))
            return true
        }
    }
}
