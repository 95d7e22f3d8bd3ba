import Foundation
import TesseraCore

/// Revoked credentials, until they would have expired.
extension SQLStore: RevocationStore {
    public func addRevocation(_ revocation: Revocation, now: Date) async throws {
        try await db.transaction { tx in
            try await tx.execute("DELETE FROM revocations WHERE expires_at < \(now)")
            try await tx.execute("""
                INSERT INTO revocations (site_id, reference, expires_at) VALUES (\(revocation.siteID), \(revocation.reference), \(revocation.expiresAt))
                ON CONFLICT DO NOTHING
                """)
            try await tx.announce(.revoked(revocation))
        }
    }

    public func revocations(notExpiredAt epoch: Int64) async throws -> [Revocation] {
        try await db.read("SELECT * FROM revocations WHERE expires_at >= \(epoch)").map { row in
            Revocation(siteID: try row.uuid("site_id"), reference: try row.string("reference"), expiresAt: try row.int64("expires_at"))
        }
    }

    public func isRevoked(site: UUID, reference: String) async throws -> Bool {
        try await db.readOne("SELECT reference FROM revocations WHERE site_id = \(site) AND reference = \(reference)") != nil
    }
}
