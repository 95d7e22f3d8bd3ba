import Foundation
import TesseraCore

/// CXone access keys, by site. Every change is announced (`accessKeys`): the token exchange reads keys through the
/// `Directory`'s cache, and a made, deactivated or deleted key must be seen at once (a key remembered as missing too).
extension SQLStore: AccessKeyStore {
    public func createAccessKey(_ key: AccessKey) async throws {
        _ = try await changed("""
            INSERT INTO access_keys (id, site_id, user_id, secret_hash, is_active, created_at, last_used_at, created_by, created_by_client)
            VALUES (\(key.id), \(key.siteID), \(key.userID), \(key.secretHash), \(key.isActive), \(key.createdAt), \(key.lastUsedAt),
                    \(key.createdBy), \(key.createdByClient))
            """, announcing: .accessKeys(site: key.siteID))
    }

    public func accessKey(site: UUID, id: String) async throws -> AccessKey? {
        try await db.readOne("SELECT * FROM access_keys WHERE site_id = \(site) AND id = \(id)").map(Self.accessKey)
    }

    public func accessKeys(site: UUID, userID: Int?, offset: Int, limit: Int) async throws -> (keys: [AccessKey], total: Int) {
        let filter: SQL = userID.map { "site_id = \(site) AND user_id = \($0)" } ?? "site_id = \(site)"
        let total = try await db.readOne("SELECT COUNT(*) AS n FROM access_keys WHERE \(filter)")?.int("n") ?? 0
        let keys = try await db.read("SELECT * FROM access_keys WHERE \(filter) ORDER BY created_at, id LIMIT \(limit) OFFSET \(offset)")
        return (try keys.map(Self.accessKey), total)
    }

    public func setAccessKeyActive(site: UUID, id: String, active: Bool) async throws {
        try await update("UPDATE access_keys SET is_active = \(active) WHERE site_id = \(site) AND id = \(id)", announcing: .accessKeys(site: site))
    }

    public func markAccessKeyUsed(site: UUID, id: String, at time: Date) async throws -> Bool {
        try await changed("UPDATE access_keys SET last_used_at = \(time) WHERE site_id = \(site) AND id = \(id) AND is_active = \(true)",
                          announcing: .accessKeys(site: site))
    }

    public func deleteAccessKeys(site: UUID, createdBy user: Int, client: String) async throws -> Int {
        try await db.transaction { tx in
            let deleted = try await tx.execute("DELETE FROM access_keys WHERE site_id = \(site) AND created_by = \(user) AND created_by_client = \(client)")
            if deleted > 0 { try await tx.announce(.accessKeys(site: site)) }
            return deleted
        }
    }

    public func deleteAccessKey(site: UUID, id: String) async throws -> Bool {
        try await changed("DELETE FROM access_keys WHERE site_id = \(site) AND id = \(id)", announcing: .accessKeys(site: site))
    }

    private static func accessKey(_ row: SQLRow) throws -> AccessKey {
        AccessKey(siteID: try row.uuid("site_id"), id: try row.string("id"), userID: try row.int("user_id"), secretHash: try row.string("secret_hash"),
                  isActive: try row.bool("is_active"), createdAt: try row.date("created_at"), lastUsedAt: try row.optionalDate("last_used_at"),
                  createdBy: try row.optionalInt("created_by"), createdByClient: try row.optionalString("created_by_client"))
    }
}
