import Foundation

/// CXone access keys (their secrets only as keyed hashes).
public protocol AccessKeyStore: Sendable {
    /// Throws `StoreError.conflict` when the id is taken.
    func createAccessKey(_ key: AccessKey) async throws
    func accessKey(site: UUID, id: String) async throws -> AccessKey?
    /// A page of a site's access keys (optionally one user's), oldest first, and how many there are in all.
    func accessKeys(site: UUID, userID: Int?, offset: Int, limit: Int) async throws -> (keys: [AccessKey], total: Int)
    /// Activates or deactivates a key (nothing else). Throws `StoreError.notFound`.
    func setAccessKeyActive(site: UUID, id: String, active: Bool) async throws
    /// Sets `lastUsedAt` of a key that is still active, and says whether there was one: a key deactivated or
    /// deleted since it was read is neither revived nor marked.
    func markAccessKeyUsed(site: UUID, id: String, at time: Date) async throws -> Bool
    func deleteAccessKey(site: UUID, id: String) async throws -> Bool
    /// Deletes the keys a user created through an application's token; returns how many.
    func deleteAccessKeys(site: UUID, createdBy user: Int, client: String) async throws -> Int
}
