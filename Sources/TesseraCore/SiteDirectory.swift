import Foundation
import Synchronization

/// Finds the site a request belongs to by its Host header, falling back to the default site.
///
/// Sites change rarely, so the directory keeps them in memory and reloads them from the store when its copy
/// is older than `maxAge`; routing a request then costs no store round trip.
public final class SiteDirectory: Sendable {
    private struct Snapshot {
        var byHost: [String: Site]
        /// Host header values as sent, already resolved (bounded), so most requests skip normalisation.
        var byRawHost: [String: Site] = [:]
        var byID: [UUID: Site]
        var defaultSite: Site?
        var loadedAt: Date
    }

    private let store: any Store
    private let maxAge: TimeInterval
    private let snapshot = Mutex<Snapshot?>(nil)

    public init(store: any Store, maxAge: TimeInterval = 5) {
        self.store = store
        self.maxAge = maxAge
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
        snapshot.withLock { snapshot in
            if snapshot != nil, snapshot!.byRawHost.count < 1024 { snapshot!.byRawHost[rawHost] = site }
        }
        return site
    }

    public func site(id: UUID) async throws -> Site? { try await load().byID[id] }

    /// Forgets the cached copy so the next lookup reads the store (after a site was created or changed).
    public func invalidate() { snapshot.withLock { $0 = nil } }

    private func load() async throws -> Snapshot {
        let now = Date()
        if let current = snapshot.withLock({ $0 }), now.timeIntervalSince(current.loadedAt) < maxAge { return current }
        let sites = try await store.sites()
        var byHost: [String: Site] = [:]
        for site in sites { for host in site.hostnames { byHost[host] = site } }
        let fresh = Snapshot(
            byHost: byHost,
            byID: Dictionary(uniqueKeysWithValues: sites.map { ($0.id, $0) }),
            defaultSite: sites.first { $0.isDefault },
            loadedAt: now
        )
        snapshot.withLock { $0 = fresh }
        return fresh
    }
}
