import Foundation
import Testing
import TesseraTestSupport
import TesseraCore
import TesseraCrypto
@testable import TesseraStore

/// Revocations, legacy-token settings, identity providers and refresh-token lookups, on SQLite and PostgreSQL;
/// and a revocation made on one PostgreSQL instance reaching another's `RevocationList`.
@Suite struct RevocationStoreContractTests {
    @Test(arguments: StoreKind.allCases)
    func revocationsAreIdempotentScopedBySiteAndForgottenWhenExpired(_ kind: StoreKind) async throws {
        guard let store = try await StoreFixtures.make(kind) else { return }
        let site = try await CXoneStoreContractTests.siteWithUsers(store, host: "r.example")
        let other = try await CXoneStoreContractTests.siteWithUsers(store, host: "r2.example")
        let now = Int64(Date().timeIntervalSince1970)
        let live = Revocation(siteID: site.id, reference: "jti:one", expiresAt: now + 600)
        try await store.addRevocation(live, now: Date(timeIntervalSince1970: TimeInterval(now)))
        try await store.addRevocation(live, now: Date(timeIntervalSince1970: TimeInterval(now)))
        try await store.addRevocation(Revocation(siteID: site.id, reference: "jti:old", expiresAt: now - 10), now: Date(timeIntervalSince1970: TimeInterval(now)))
        #expect(try await store.isRevoked(site: site.id, reference: "jti:one"))
        #expect(try await store.isRevoked(site: other.id, reference: "jti:one") == false)
        #expect(try await store.isRevoked(site: site.id, reference: "jti:two") == false)
        #expect(try await store.revocations(notExpiredAt: now) == [live])
        // The next write forgets what expired.
        try await store.addRevocation(Revocation(siteID: other.id, reference: "auth:x", expiresAt: now + 5), now: Date(timeIntervalSince1970: TimeInterval(now)))
        #expect(try await store.isRevoked(site: site.id, reference: "jti:old") == false)
        #expect(Set(try await store.revocations(notExpiredAt: now).map(\.reference)) == ["jti:one", "auth:x"])
        try await store.close()
    }

    @Test(arguments: StoreKind.allCases)
    func aRevocationListSeesItsOwnStoresRevocationsAtOnce(_ kind: StoreKind) async throws {
        guard let store = try await StoreFixtures.make(kind) else { return }
        let site = try await CXoneStoreContractTests.siteWithUsers(store, host: "l.example")
        let list = RevocationList(store: store, changes: store.changes)
        #expect(try await list.isRevoked(site: site.id, "jti:a", "family:b") == false)
        try await list.revoke(Revocation(siteID: site.id, reference: "family:b", expiresAt: Int64(Date().timeIntervalSince1970) + 60))
        #expect(try await list.isRevoked(site: site.id, "jti:a", "family:b"))
        #expect(try await list.isRevoked(site: site.id, "jti:a") == false)
        // A new list (a restarted instance) loads it from the store.
        #expect(try await RevocationList(store: store, changes: store.changes).isRevoked(site: site.id, "family:b"))
        try await store.close()
    }

    @Test func aRevocationOnOnePostgresInstanceReachesAnothersListWithinASecond() async throws {
        guard let url = try await StoreFixtures.newPostgresDatabase() else { return }
        let a = try SQLStore.postgres(url: url, logger: StoreFixtures.logger)
        try await a.migrate(at: Date())
        let b = try SQLStore.postgres(url: url, logger: StoreFixtures.logger)
        try await waitUntil { b.changes.isLive }
        let site = StoreFixtures.site(isDefault: true)
        _ = try await a.bootstrapDefaultSite(site, users: StoreFixtures.firstUsers(site))
        let listOnB = RevocationList(store: b, changes: b.changes)
        #expect(try await listOnB.isRevoked(site: site.id, "jti:shared") == false)  // loaded now, before the revocation
        try await RevocationList(store: a, changes: a.changes).revoke(Revocation(siteID: site.id, reference: "jti:shared", expiresAt: Int64(Date().timeIntervalSince1970) + 60))
        let started = ContinuousClock.now
        try await eventually(timeout: .seconds(1)) { try await listOnB.isRevoked(site: site.id, "jti:shared") }
        #expect(ContinuousClock.now - started < .seconds(1))
        try await a.close()
        try await b.close()
    }

    @Test func revocationPayloadsRoundTrip() {
        let revocation = Revocation(siteID: UUID(), reference: "auth:0123abcd", expiresAt: 1_800_000_000)
        #expect(StoreChange(payload: StoreChange.revoked(revocation).payload) == .revoked(revocation))
        for bad in ["revoked", "revoked|x|1|jti:a", "revoked|\(UUID().uuidString)|soon|jti:a", "revoked|\(UUID().uuidString)|1"] {
            #expect(StoreChange(payload: bad) == nil, "\(bad)")
        }
    }

    @Test(arguments: StoreKind.allCases)
    func legacySettingsRoundTripAndAnnounceASiteChange(_ kind: StoreKind) async throws {
        guard let store = try await StoreFixtures.make(kind) else { return }
        let site = try await CXoneStoreContractTests.siteWithUsers(store, host: "legacy.example")
        #expect(try await store.site(id: site.id)?.legacyTokens == LegacyTokenSettings())
        let settings = LegacyTokenSettings(enabled: true, sealedAPIKey: [1, 2, 3, 250])
        try await store.updateLegacyTokens(site: site.id, settings)
        #expect(try await store.site(id: site.id)?.legacyTokens == settings)
        try await store.updateLegacyTokens(site: site.id, LegacyTokenSettings(enabled: false, sealedAPIKey: [1, 2, 3, 250]))
        #expect(try await store.site(id: site.id)?.legacyTokens.enabled == false)
        await #expect(throws: StoreError.notFound) { try await store.updateLegacyTokens(site: UUID(), settings) }
        try await store.close()
    }

    @Test(arguments: StoreKind.allCases)
    func identityProvidersAreUniquePerSiteAndIssuer(_ kind: StoreKind) async throws {
        guard let store = try await StoreFixtures.make(kind) else { return }
        let site = try await CXoneStoreContractTests.siteWithUsers(store, host: "idp.example")
        let other = try await CXoneStoreContractTests.siteWithUsers(store, host: "idp2.example")
        let provider = IdentityProvider(siteID: site.id, issuer: "https://auth.example.com", audience: "www.example.com", jwksURL: nil,
                                        staticJWKS: #"{"keys":[]}"#, claims: .init(username: "preferred_username"),
                                        createdAt: Date(timeIntervalSince1970: 1_800_000_000))
        try await store.createIdentityProvider(provider)
        await #expect(throws: StoreError.self) { try await store.createIdentityProvider(provider) }
        var elsewhere = provider
        elsewhere.siteID = other.id
        elsewhere.jwksURL = "https://auth.example.com/jwks"
        elsewhere.staticJWKS = nil
        try await store.createIdentityProvider(elsewhere)
        #expect(try await store.identityProviders(site: site.id) == [provider])
        #expect(try await store.identityProviders(site: other.id) == [elsewhere])
        #expect(try await store.deleteIdentityProvider(site: site.id, issuer: provider.issuer))
        #expect(try await store.deleteIdentityProvider(site: site.id, issuer: provider.issuer) == false)
        #expect(try await store.identityProviders(site: site.id).isEmpty)
        try await store.close()
    }

    @Test(arguments: StoreKind.allCases)
    func aRefreshTokenIsFoundOnlyWhileUnusedAndNotRevoked(_ kind: StoreKind) async throws {
        guard let store = try await StoreFixtures.make(kind) else { return }
        let site = try await CXoneStoreContractTests.siteWithUsers(store, host: "peek.example")
        let family = UUID()
        func token(_ hash: String) -> RefreshToken {
            RefreshToken(hash: hash, familyID: family, siteID: site.id, userID: 1, clientID: "client", scope: "openid", authTime: 1_800_000_000,
                         createdAt: Date(timeIntervalSince1970: 1_800_000_000), expiresAt: Date(timeIntervalSince1970: 1_900_000_000))
        }
        try await store.insertRefreshToken(token("spent"))
        try await store.insertRefreshToken(token("fresh"))
        #expect(try await store.refreshToken(hash: "fresh") == token("fresh"))
        #expect(try await store.refreshToken(hash: "nothing") == nil)
        _ = try await store.spendRefreshToken(hash: "spent", at: Date(timeIntervalSince1970: 1_800_000_100))
        #expect(try await store.refreshToken(hash: "spent") == nil)
        // Looking does not spend it.
        #expect(try await store.refreshToken(hash: "fresh") != nil)
        try await store.revokeRefreshFamily(family)
        #expect(try await store.refreshToken(hash: "fresh") == nil)
        try await store.close()
    }
}
