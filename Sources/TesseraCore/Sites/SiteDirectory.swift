import Foundation
import Synchronization
import TesseraCrypto

/// Finds the site a request belongs to by its Host header, falling back to the default site.
///
/// Sites change rarely, so the directory keeps them in memory; routing a request then costs no store round trip.
/// A site change announced by the store (on PostgreSQL, by any instance) drops the copy at once, so that turning
/// legacy tokens off, say, holds for the very next request; the copy is also reloaded when older than `maxAge`,
/// in case an announcement was missed.
public final class SiteDirectory: Sendable {
    private struct Snapshot {
        var byHost: [String: Site]
        /// Host header values as sent, already resolved (bounded), so most requests skip normalisation.
        var byRawHost: [String: Site] = [:]
        var byID: [UUID: Site]
        var defaultSite: Site?
        var loadedAt: Date
    }

    private let store: any SiteStore
    private let seal: SiteKeySeal
    private let now: @Sendable () -> Date
    private let maxAge: TimeInterval
    private let changes: ChangeFeed
    private struct State {
        var snapshot: Snapshot?
        /// Counts announced changes, so that a load which raced one does not keep what it read.
        var generation: UInt64 = 0
    }

    private let state = Mutex(State())

    public init(store: any SiteStore, changes: ChangeFeed, masterKey: MasterKey, maxAge: TimeInterval = 5,
                now: @escaping @Sendable () -> Date = { Date() }) {
        self.store = store
        self.seal = SiteKeySeal(masterKey: masterKey)
        self.now = now
        self.maxAge = maxAge
        self.changes = changes
        changes.subscribe { [weak self] change in
            switch change {
            case .sites, .all: self?.invalidate()
            default: break
            }
        }
    }

    /// The site for a Host header value. Throws `.invalidInput` for a malformed host; an unknown but well-formed
    /// host gets the default site.
    public func site(forHost rawHost: String?) async throws -> Site {
        let current = try await load()
        guard let rawHost else {
            guard let site = current.defaultSite else { throw ServiceError.unavailable("no default site") }
            return site
        }
        if let site = current.byRawHost[rawHost] { return site }
        guard let host = Hostname.normalise(rawHost) else { throw ServiceError.invalidInput("invalid Host header") }
        guard let site = current.byHost[host] ?? current.defaultSite else { throw ServiceError.unavailable("no default site") }
        state.withLock { state in
            if state.snapshot != nil, state.snapshot!.byRawHost.count < 1024 { state.snapshot!.byRawHost[rawHost] = site }
        }
        return site
    }

    public func site(id: UUID) async throws -> Site? { try await load().byID[id] }

    /// Every site, oldest first, with its key opened.
    public func all() async throws -> [Site] { try await load().byID.values.sorted { ($0.createdAt, $0.id.uuidString) < ($1.createdAt, $1.id.uuidString) } }

    /// Forgets the cached copy so the next lookup reads the store (after a site was created or changed).
    public func invalidate() {
        state.withLock { state in
            state.generation &+= 1
            state.snapshot = nil
        }
    }

    private func load() async throws -> Snapshot {
        let now = self.now()
        let (cached, started) = state.withLock { ($0.snapshot, $0.generation) }
        if let current = cached, now.timeIntervalSince(current.loadedAt) < maxAge || changes.isStoreAway { return current }
        let stored: [Site]
        do {
            stored = try await store.sites()
        } catch StoreError.unavailable where cached != nil {
            // Every request resolves its site: while the store is away the sites in hand still serve.
            return cached!
        }
        let sites = try stored.map { stored in
            var site = stored
            guard let key = seal.open(stored.authTokenKey, site: stored.id) else {
                throw ServiceError.unavailable("a site's key cannot be opened with this master key")
            }
            site.authTokenKey = key
            return site
        }
        var byHost: [String: Site] = [:]
        for site in sites { for host in site.hostnames { byHost[host] = site } }
        let fresh = Snapshot(
            byHost: byHost,
            byID: Dictionary(uniqueKeysWithValues: sites.map { ($0.id, $0) }),
            defaultSite: sites.first { $0.isDefault },
            loadedAt: now
        )
        state.withLock { state in if state.generation == started { state.snapshot = fresh } }
        return fresh
    }
}
