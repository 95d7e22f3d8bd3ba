import Foundation

/// Each site's RS256 signing keys, sealed under the master key.
public protocol SigningKeyStore: Sendable {
    /// A site's signing keys, newest first.
    func signingKeys(site: UUID) async throws -> [StoredSigningKey]
    /// Adds a key as the site's newest, but only while the newest key is still `newest` (nil: the site has none):
    /// of several instances rotating at once, one wins. Returns false when another key got there first.
    func addSigningKey(_ key: StoredSigningKey, ifNewestIs newest: String?) async throws -> Bool
}
