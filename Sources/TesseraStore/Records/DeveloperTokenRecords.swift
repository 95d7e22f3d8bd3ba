import Foundation
import TesseraCore

/// Developer tokens, by site.
extension SQLStore: DeveloperTokenStore {
    public func createDeveloperToken(_ token: DeveloperToken) async throws -> DeveloperToken {
        try await db.transaction { tx in
            var stored = token
            stored.id = try await Self.nextID("next_token_id", site: token.siteID, on: tx)
            try await tx.execute("""
                INSERT INTO developer_tokens (site_id, id, type, name, key, hosts, restricted_user_id, secret_salt, secret_hash, jwt_salt,
                                              created_by, created_at, created_by_client)
                VALUES (\(stored.siteID), \(stored.id), \(stored.type.rawValue), \(stored.name), \(stored.key), \(stored.hosts.joined(separator: ",")),
                        \(stored.restrictedUserID), \(stored.secretSalt), \(stored.secretHash), \(stored.jwtSalt), \(stored.createdBy), \(stored.createdAt),
                        \(stored.createdByClient))
                """)
            try await tx.announce(.developerTokens(site: stored.siteID))
            return stored
        }
    }

    public func developerTokens(site: UUID) async throws -> [DeveloperToken] {
        try await db.read("SELECT * FROM developer_tokens WHERE site_id = \(site) ORDER BY id").map { try Self.developerToken($0, site: site) }
    }

    public func developerTokens(site: UUID, newestFirstFrom offset: Int, limit: Int) async throws -> [DeveloperToken] {
        try await db.read("SELECT * FROM developer_tokens WHERE site_id = \(site) ORDER BY id DESC LIMIT \(limit) OFFSET \(offset)")
            .map { try Self.developerToken($0, site: site) }
    }

    public func developerTokens(site: UUID, type: DeveloperTokenType) async throws -> [DeveloperToken] {
        try await db.read("SELECT * FROM developer_tokens WHERE site_id = \(site) AND type = \(type.rawValue) ORDER BY id")
            .map { try Self.developerToken($0, site: site) }
    }

    public func developerTokenCount(site: UUID) async throws -> Int {
        try await db.readOne("SELECT COUNT(*) AS n FROM developer_tokens WHERE site_id = \(site)")?.int("n") ?? 0
    }

    public func developerToken(site: UUID, id: Int) async throws -> DeveloperToken? {
        try await db.readOne("SELECT * FROM developer_tokens WHERE site_id = \(site) AND id = \(id)").map { try Self.developerToken($0, site: site) }
    }

    public func developerToken(site: UUID, key: String) async throws -> DeveloperToken? {
        try await db.readOne("SELECT * FROM developer_tokens WHERE site_id = \(site) AND key = \(key)").map { try Self.developerToken($0, site: site) }
    }

    private static func developerToken(_ row: SQLRow, site: UUID) throws -> DeveloperToken {
        guard let type = DeveloperTokenType(rawValue: try row.string("type")) else { throw StoreError.unreadable("developer token type") }
        return DeveloperToken(
            siteID: site, id: try row.int("id"), type: type, name: try row.string("name"), key: try row.string("key"),
            hosts: try row.string("hosts").split(separator: ",").map(String.init), restrictedUserID: try row.optionalInt("restricted_user_id"),
            secretSalt: try row.optionalString("secret_salt"), secretHash: try row.optionalString("secret_hash"),
            jwtSalt: try row.optionalString("jwt_salt"), createdBy: try row.int("created_by"), createdAt: try row.date("created_at"),
            createdByClient: try row.optionalString("created_by_client"))
    }

    public func updateDeveloperToken(_ token: DeveloperToken, ifSaltsOf previous: DeveloperToken) async throws -> Bool {
        try await changed("""
            UPDATE developer_tokens SET name = \(token.name), hosts = \(token.hosts.joined(separator: ",")), restricted_user_id = \(token.restrictedUserID),
                secret_salt = \(token.secretSalt), secret_hash = \(token.secretHash), jwt_salt = \(token.jwtSalt)
            WHERE site_id = \(token.siteID) AND id = \(token.id)
              AND secret_salt IS NOT DISTINCT FROM \(previous.secretSalt) AND jwt_salt IS NOT DISTINCT FROM \(previous.jwtSalt)
            """, announcing: .developerTokens(site: token.siteID))
    }

    public func revokeLongTermJWT(site: UUID, id: Int, salt: String) async throws -> Bool {
        try await changed("UPDATE developer_tokens SET jwt_salt = NULL WHERE site_id = \(site) AND id = \(id) AND jwt_salt = \(salt)",
                          announcing: .developerTokens(site: site))
    }

    public func deleteDeveloperTokens(site: UUID, createdBy user: Int, client: String) async throws -> [Int] {
        try await db.transaction { tx in
            let ids = try await tx.write("""
                DELETE FROM developer_tokens WHERE site_id = \(site) AND created_by = \(user) AND created_by_client = \(client) RETURNING id
                """).map { try $0.int("id") }
            if !ids.isEmpty { try await tx.announce(.developerTokens(site: site)) }
            return ids
        }
    }

    public func deleteDeveloperToken(site: UUID, id: Int) async throws -> Bool {
        try await db.transaction { tx in
            let deleted = try await tx.execute("DELETE FROM developer_tokens WHERE site_id = \(site) AND id = \(id)") > 0
            try await tx.announce(.developerTokens(site: site))
            return deleted
        }
    }
}
