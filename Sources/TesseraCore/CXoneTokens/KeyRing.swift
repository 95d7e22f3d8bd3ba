import Foundation
import Synchronization
import TesseraCrypto

/// Each site's RS256 signing keys: the current key signs, the current and the previous one verify (and are
/// published in JWKS), so tokens signed before a rotation stay valid until they expire. Keys live in the store,
/// sealed under the master key; this ring keeps them unsealed in memory and re-reads them when the store says
/// they changed, or after `refreshInterval` (a command-line rotation beside a SQLite server announces nothing).
public final class KeyRing: Sendable {
    private struct Loaded {
        var signing: RSASigningKey
        /// Current first, then previous.
        var verifying: [RSAVerifyingKey]
        var loadedAt: Date
    }

    private let store: any SigningKeyStore
    private let masterKey: MasterKey
    /// Seconds after which the current key is replaced; 0 never rotates on a schedule.
    private let rotationPeriod: Int64
    private let refreshInterval: Int64
    private let now: @Sendable () -> Date
    private let cache = Mutex<[UUID: Loaded]>([:])
    private let changes: ChangeFeed

    public init(store: any SigningKeyStore, changes: ChangeFeed, masterKey: MasterKey, rotationPeriod: Int64 = 90 * 86_400,
                refreshInterval: Int64 = 60, now: @escaping @Sendable () -> Date = { Date() }) {
        self.store = store
        self.changes = changes
        self.masterKey = masterKey
        self.rotationPeriod = rotationPeriod
        self.refreshInterval = refreshInterval
        self.now = now
        changes.subscribe { [weak self] change in
            switch change {
            case .signingKeys(let site): _ = self?.cache.withLock { $0.removeValue(forKey: site) }
            case .all: self?.cache.withLock { $0.removeAll() }
            default: break
            }
        }
    }

    /// The key that signs the site's tokens now (made on first use, replaced when its rotation is due).
    public func signingKey(site: UUID) async throws -> RSASigningKey {
        try await loaded(site: site).signing
    }

    /// The keys JWKS publishes: current first, then previous.
    public func verifyingKeys(site: UUID) async throws -> [RSAVerifyingKey] {
        try await loaded(site: site).verifying
    }

    /// The published key with this kid, re-reading the store when it is not known (another instance may have rotated
    /// a moment ago) — at most once per `unknownKidInterval` per site, so tokens naming made-up kids cannot make
    /// every request a store round trip.
    public func verifyingKey(site: UUID, kid: String) async throws -> RSAVerifyingKey? {
        if let key = try await loaded(site: site).verifying.first(where: { $0.kid == kid }) { return key }
        let current = now()
        let mayReload = lastUnknownKidReload.withLock { last in
            if let previous = last[site], current.timeIntervalSince(previous) < Self.unknownKidInterval { return false }
            last[site] = current
            return true
        }
        guard mayReload else { return nil }
        return try await loaded(site: site, reload: true).verifying.first { $0.kid == kid }
    }

    /// Seconds between re-reads of a site's keys for an unknown kid.
    public static let unknownKidInterval: TimeInterval = 5
    private let lastUnknownKidReload = Mutex<[UUID: Date]>([:])

    /// Makes a new key current now; the old current key becomes the previous one. Returns the new kid.
    @discardableResult
    public func rotate(site: UUID) async throws -> String {
        let newest = try await store.signingKeys(site: site).first
        if let kid = try await add(site: site, after: newest?.kid) { return kid }
        // Another instance rotated at the same moment: its key is the new one.
        return try await store.signingKeys(site: site).first?.kid ?? ""
    }

    private func loaded(site: UUID, reload: Bool = false) async throws -> Loaded {
        let current = now()
        let hit = cache.withLock { $0[site] }
        if !reload, let hit, current.timeIntervalSince(hit.loadedAt) < Double(refreshInterval) || changes.isStoreAway { return hit }
        var stored: [StoredSigningKey]
        do {
            stored = try await store.signingKeys(site: site)
        } catch StoreError.unavailable where hit != nil {
            // Keys change rarely and a rotation needs the store anyway: while it is away the keys in hand still serve.
            return hit!
        }
        let due = stored.first.map { rotationPeriod > 0 && current.timeIntervalSince($0.createdAt) >= Double(rotationPeriod) } ?? true
        if due {
            // Whichever instance adds first wins; the others read its key.
            _ = try await add(site: site, after: stored.first?.kid)
            stored = try await store.signingKeys(site: site)
        }
        let sealKey = Self.sealKey(masterKey, site: site)
        let unsealed = stored.prefix(2).compactMap { RSASigningKey.unseal($0.sealedPrivateKey, key: sealKey) }
        guard let signing = unsealed.first, unsealed.count == min(stored.count, 2) else {
            throw ServiceError.unavailable("signing keys cannot be opened with this master key")
        }
        let entry = Loaded(signing: signing, verifying: unsealed.map(\.publicKey), loadedAt: current)
        cache.withLock { $0[site] = entry }
        return entry
    }

    /// Generates and stores a key as newest if `after` is still the newest. Returns the new kid, nil if another
    /// instance rotated first.
    private func add(site: UUID, after newest: String?) async throws -> String? {
        let key = try await Task.detached { try RSASigningKey.generate() }.value
        let stored = StoredSigningKey(siteID: site, kid: key.kid, sealedPrivateKey: try key.sealed(key: Self.sealKey(masterKey, site: site)),
                                      createdAt: now())
        guard try await store.addSigningKey(stored, ifNewestIs: newest) else { return nil }
        cache.withLock { _ = $0.removeValue(forKey: site) }
        return key.kid
    }

    private static func sealKey(_ masterKey: MasterKey, site: UUID) -> [UInt8] {
        masterKey.derive256("signing-key-seal", site.lowercasedString)
    }
}
