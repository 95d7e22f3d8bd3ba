import Foundation

/// CXone access keys (their secrets only as keyed hashes).
public protocol AccessKeyStore: Sendable {
    /// Throws `StoreError.conflict` when the id is taken.
    func createAccessKey(_ key: AccessKey) async throws
    func accessKey(site: UUID, id: String) async throws -> AccessKey?
    /// A page of a site's access keys (optionally one user's), oldest first, and how many there are in all.
    func accessKeys(site: UUID, userID: Int?, offset: Int, limit: Int) async throws -> (keys: [AccessKey], total: Int)
    /// Changes `isActive` and `lastUsedAt`. Throws `StoreError.notFound`.
    func updateAccessKey(_ key: AccessKey) async throws
    func deleteAccessKey(site: UUID, id: String) async throws -> Bool
    /// Deletes the keys a user created through an application's token; returns how many.
    func deleteAccessKeys(site: UUID, createdBy user: Int, client: String) async throws -> Int
}
