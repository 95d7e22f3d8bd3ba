import Foundation

/// Opening, migrating and closing a store, and the feed of what changed.
public protocol StoreLifecycle: Sendable {
    /// Applies pending schema migrations. Safe to call from several instances at once. Returns notes for the operator
    /// (what a migration found and left for a person to decide). `finishing`: also the steps that must wait until no
    /// instance of an older release serves the store (`tessera migrate --finish`).
    @discardableResult func migrate(at now: Date, finishing: Bool) async throws -> [String]
    /// True while `tessera migrate --finish` has not run since an upgrade: an instance of an older release may still
    /// serve the store, and it does not announce every change this release's caches rely on.
    func olderReleasesMayServe() async throws -> Bool
    /// Succeeds when the store answers a trivial query.
    func ping() async throws
    /// Releases connections. The store is unusable afterwards.
    func close() async throws
    /// Announces every committed change of users, tokens, keys, sites, clients and revocations (see `ChangeFeed`).
    var changes: ChangeFeed { get }
    /// Records the master key's fingerprint on first use and returns the one recorded, so an instance started with
    /// a different key can refuse to run.
    func masterKeyFingerprint(proposed: String) async throws -> String
}

/// Everything a deployment stores, one protocol per aggregate; services are handed only the ones they use. SQLite
/// (embedded) and PostgreSQL implement all of them with the same statements; the contract suite runs on both.
/// Stores keep records: the rules about them live in the services, and every time a rule needs comes in as an
/// argument.
extension StoreLifecycle {
    /// The migration every start runs.
    @discardableResult public func migrate(at now: Date) async throws -> [String] { try await migrate(at: now, finishing: false) }
}

public typealias Store = StoreLifecycle & SiteStore & UserStore & DeveloperTokenStore & AccessKeyStore & SigningKeyStore & ClientStore
    & GrantStore & RevocationStore & AuditStore & IdentityProviderStore
