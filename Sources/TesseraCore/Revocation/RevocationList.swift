import Foundation
import Synchronization

/// Every unexpired revocation, in memory: checking a token on every request is a dictionary lookup, never a store
/// round trip. A revocation made on any instance reaches the others through the store's change feed at once;
/// after a gap in the feed the list is reloaded, and while the feed is down every check asks the store (or, when the
/// store cannot be reached either, the list).
public final class RevocationList: Sendable {
    private struct State {
        /// Site → reference → expiry (epoch seconds). nil until loaded, and again after a gap in the change feed.
        var entries: [UUID: [String: Int64]]?
    }

    private let store: any RevocationStore
    private let changes: ChangeFeed
    private let state = Mutex(State())
    private let now: @Sendable () -> Date

    public init(store: any RevocationStore, changes: ChangeFeed, now: @escaping @Sendable () -> Date = { Date() }) {
        self.store = store
        self.changes = changes
        self.now = now
        changes.subscribe { [weak self] change in self?.apply(change) }
    }

    private func apply(_ change: StoreChange) {
        state.withLock { state in
            switch change {
            case .revoked(let revocation):
                state.entries?[revocation.siteID, default: [:]][revocation.reference] = revocation.expiresAt
            case .all:
                state.entries = nil
            default:
                break
            }
        }
    }

    /// True when any of `references` was revoked in the site.
    public func isRevoked(site: UUID, _ references: String...) async throws -> Bool {
        let entries = state.withLock { $0.entries }
        guard changes.mayServeFromMemory else {
            do {
                for reference in references where try await store.isRevoked(site: site, reference: reference) { return true }
                return false
            } catch StoreError.unavailable(let reason) {
                // The store went away a moment ago: no instance can revoke anything until it is back.
                guard let entries else { throw StoreError.unavailable(reason) }
                return references.contains { entries[site]?[$0] != nil }
            }
        }
        if let entries {
            return references.contains { entries[site]?[$0] != nil }
        }
        let loaded = try await load()
        return references.contains { loaded[site]?[$0] != nil }
    }

    private func load() async throws -> [UUID: [String: Int64]] {
        var entries: [UUID: [String: Int64]] = [:]
        for revocation in try await store.revocations(notExpiredAt: Int64(now().timeIntervalSince1970)) {
            entries[revocation.siteID, default: [:]][revocation.reference] = revocation.expiresAt
        }
        // Keep what was announced while the load ran (the feed may have delivered it before the read saw it).
        state.withLock { state in
            if let current = state.entries {
                for (site, references) in current { entries[site, default: [:]].merge(references) { a, _ in a } }
            }
            state.entries = entries
        }
        return entries
    }

    /// Records a revocation in the store (which announces it to every instance) and in this instance's list.
    public func revoke(_ revocation: Revocation) async throws {
        try await store.addRevocation(revocation, now: now())
        apply(.revoked(revocation))
        prune()
    }

    /// Drops expired entries from memory (they are refused by their own expiry anyway).
    private func prune() {
        let epoch = Int64(now().timeIntervalSince1970)
        state.withLock { state in
            guard var entries = state.entries else { return }
            for site in entries.keys { entries[site] = entries[site]?.filter { $0.value > epoch } }
            state.entries = entries
        }
    }
}
