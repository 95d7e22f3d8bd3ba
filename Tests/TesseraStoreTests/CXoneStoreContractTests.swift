import Foundation
import Testing
import TesseraCore
import TesseraCrypto
import TesseraStore

/// The CXone part of the store contract (tenants, signing keys, access keys, applications, refresh tokens,
/// codes, client assertions), on SQLite and PostgreSQL.
@Suite struct CXoneStoreContractTests {
    static let epoch = Date(timeIntervalSince1970: 1_800_000_000)

    static func siteWithUsers(_ store: any Store, host: String) async throws -> Site {
        let site = StoreFixtures.site(hostnames: [host])
        try await store.createSite(site, users: StoreFixtures.firstUsers(site))
        return site
    }

    @Test(arguments: StoreKind.allCases)
    func tenantProfileRoundTripsAndUsersAreFoundByGuid(_ kind: StoreKind) async throws {
        guard let store = try await StoreFixtures.make(kind) else { return }
        let site = try await Self.siteWithUsers(store, host: "t.example")
        #expect(try await store.site(id: site.id)?.tenant == TenantProfile())
        let profile = TenantProfile(businessUnit: 4_600_738, area: "au1", cluster: "B32")
        try await store.updateTenant(site: site.id, profile)
        #expect(try await store.site(id: site.id)?.tenant == profile)
        await #expect(throws: StoreError.self) { try await store.updateTenant(site: UUID(), profile) }
        let admin = try #require(try await store.user(site: site.id, id: 1))
        #expect(try await store.user(site: site.id, guid: admin.guid) == admin)
        #expect(try await store.user(site: UUID(), guid: admin.guid) == nil)
        #expect(try await store.user(site: site.id, guid: UUID()) == nil)
    }

    @Test(arguments: StoreKind.allCases)
    func signingKeysAreAddedOnlyOverTheExpectedNewest(_ kind: StoreKind) async throws {
        guard let store = try await StoreFixtures.make(kind) else { return }
        let site = try await Self.siteWithUsers(store, host: "k.example")
        func key(_ kid: String, _ at: Double) -> StoredSigningKey {
            StoredSigningKey(siteID: site.id, kid: kid, sealedPrivateKey: Array(kid.utf8), createdAt: Date(timeIntervalSince1970: at))
        }
        #expect(try await store.signingKeys(site: site.id).isEmpty)
        #expect(try await store.addSigningKey(key("one", 1_800_000_000), ifNewestIs: nil))
        // Two instances rotating from "one" at once: exactly one wins.
        #expect(try await store.addSigningKey(key("late", 1_800_000_001), ifNewestIs: nil) == false)
        #expect(try await store.addSigningKey(key("two", 1_800_000_002), ifNewestIs: "one"))
        #expect(try await store.addSigningKey(key("three", 1_800_000_003), ifNewestIs: "one") == false)
        let keys = try await store.signingKeys(site: site.id)
        #expect(keys.map(\.kid) == ["two", "one"])
        #expect(keys.first == key("two", 1_800_000_002))
    }

    @Test(arguments: StoreKind.allCases)
    func accessKeysPageFilterUpdateAndDelete(_ kind: StoreKind) async throws {
        guard let store = try await StoreFixtures.make(kind) else { return }
        let site = try await Self.siteWithUsers(store, host: "a.example")
        let other = try await Self.siteWithUsers(store, host: "b.example")
        var keys: [AccessKey] = []
        for index in 0..<5 {
            let key = AccessKey(siteID: site.id, id: "KEY\(index)", userID: index < 3 ? 1 : 3, secretHash: "hash\(index)", isActive: true,
                                createdAt: Self.epoch.addingTimeInterval(Double(index)), lastUsedAt: nil)
            try await store.createAccessKey(key)
            keys.append(key)
        }
        await expectConflict { try await store.createAccessKey(keys[0]) }
        #expect(try await store.accessKey(site: site.id, id: "KEY0") == keys[0])
        #expect(try await store.accessKey(site: other.id, id: "KEY0") == nil)
        let all = try await store.accessKeys(site: site.id, userID: nil, offset: 0, limit: 2)
        #expect(all.total == 5 && all.keys == Array(keys[0..<2]))
        let mine = try await store.accessKeys(site: site.id, userID: 1, offset: 2, limit: 10)
        #expect(mine.total == 3 && mine.keys == [keys[2]])
        #expect(try await store.accessKeys(site: other.id, userID: nil, offset: 0, limit: 10).total == 0)
        var changed = keys[1]
        changed.isActive = false
        changed.lastUsedAt = Self.epoch.addingTimeInterval(60)
        try await store.updateAccessKey(changed)
        #expect(try await store.accessKey(site: site.id, id: "KEY1") == changed)
        var foreign = changed
        foreign.siteID = other.id
        await #expect(throws: StoreError.self) { try await store.updateAccessKey(foreign) }
        #expect(try await store.deleteAccessKey(site: other.id, id: "KEY1") == false)
        #expect(try await store.deleteAccessKey(site: site.id, id: "KEY1"))
        #expect(try await store.accessKey(site: site.id, id: "KEY1") == nil)
    }

    @Test(arguments: StoreKind.allCases)
    func applicationsRoundTripAndClientIdsAreUnique(_ kind: StoreKind) async throws {
        guard let store = try await StoreFixtures.make(kind) else { return }
        let site = try await Self.siteWithUsers(store, host: "apps.example")
        let app = Application(siteID: site.id, clientID: UUID().lowercasedString, name: "Reports", type: .backend, authMethod: .clientSecretJWT,
                              secretSalt: "salt", redirectURIs: ["https://a.example/cb?x=1,2", "http://localhost:3000/cb"], multiTenant: true,
                              isEnabled: true, createdAt: Self.epoch)
        try await store.createApplication(app)
        #expect(try await store.application(clientID: app.clientID) == app)
        #expect(try await store.application(clientID: "missing") == nil)
        await expectConflict { try await store.createApplication(app) }
    }

    @Test(arguments: StoreKind.allCases)
    func refreshTokensAreSpentOnceAndReuseRevokesTheFamily(_ kind: StoreKind) async throws {
        guard let store = try await StoreFixtures.make(kind) else { return }
        let site = try await Self.siteWithUsers(store, host: "rt.example")
        let family = UUID()
        func token(_ hash: String, family: UUID = family) -> RefreshToken {
            RefreshToken(hash: hash, familyID: family, siteID: site.id, userID: 1, clientID: hash == "c" ? nil : "client", scope: "openid",
                         authTime: 1_800_000_000, createdAt: Self.epoch, expiresAt: Self.epoch.addingTimeInterval(3600))
        }
        try await store.insertRefreshToken(token("a"))
        try await store.insertRefreshToken(token("other", family: UUID()))
        guard case .fresh(let spent) = try await store.consumeRefreshToken(hash: "a") else { Issue.record("first use must be fresh"); return }
        #expect(spent == token("a"))
        try await store.insertRefreshToken(token("b"))
        // "a" again: reuse, and "b" (same family) dies with it; another family is untouched.
        guard case .reused = try await store.consumeRefreshToken(hash: "a") else { Issue.record("second use must be reuse"); return }
        guard case .invalid = try await store.consumeRefreshToken(hash: "b") else { Issue.record("the family must be revoked"); return }
        guard case .invalid = try await store.consumeRefreshToken(hash: "unknown") else { Issue.record("unknown must be invalid"); return }
        guard case .fresh = try await store.consumeRefreshToken(hash: "other") else { Issue.record("other families stay valid"); return }
        try await store.insertRefreshToken(token("c", family: UUID()))
        guard case .fresh(let c) = try await store.consumeRefreshToken(hash: "c") else { Issue.record("c must be fresh"); return }
        #expect(c.clientID == nil)
        try await store.revokeRefreshFamily(c.familyID)
        guard case .invalid = try await store.consumeRefreshToken(hash: "c") else { Issue.record("revoked must be invalid"); return }
    }

    @Test(arguments: StoreKind.allCases)
    func concurrentRefreshesOfOneTokenSpendItOnce(_ kind: StoreKind) async throws {
        guard let store = try await StoreFixtures.make(kind) else { return }
        let site = try await Self.siteWithUsers(store, host: "race.example")
        try await store.insertRefreshToken(RefreshToken(hash: "race", familyID: UUID(), siteID: site.id, userID: 1, clientID: nil, scope: "openid",
                                                        authTime: 0, createdAt: Self.epoch, expiresAt: Self.epoch.addingTimeInterval(60)))
        let fresh = try await withThrowingTaskGroup(of: Bool.self) { group in
            for _ in 0..<8 {
                group.addTask { if case .fresh = try await store.consumeRefreshToken(hash: "race") { return true } else { return false } }
            }
            return try await group.reduce(0) { $0 + ($1 ? 1 : 0) }
        }
        #expect(fresh == 1)
    }

    @Test(arguments: StoreKind.allCases)
    func codesAreSpentOnceAndReuseRevokesWhatTheyIssued(_ kind: StoreKind) async throws {
        guard let store = try await StoreFixtures.make(kind) else { return }
        let site = try await Self.siteWithUsers(store, host: "code.example")
        let family = UUID()
        let code = AuthorizationCode(hash: "code", siteID: site.id, clientID: "client", userID: 1, redirectURI: "https://a.example/cb",
                                     codeChallenge: "challenge", nonce: "n", scope: "openid", authTime: 1_800_000_000, familyID: family,
                                     createdAt: Self.epoch, expiresAt: Self.epoch.addingTimeInterval(60))
        try await store.insertAuthorizationCode(code)
        guard case .fresh(let spent) = try await store.consumeAuthorizationCode(hash: "code") else { Issue.record("first use must be fresh"); return }
        #expect(spent == code)
        try await store.insertRefreshToken(RefreshToken(hash: "issued", familyID: family, siteID: site.id, userID: 1, clientID: "client",
                                                        scope: "openid", authTime: 0, createdAt: Self.epoch, expiresAt: Self.epoch.addingTimeInterval(60)))
        guard case .reused = try await store.consumeAuthorizationCode(hash: "code") else { Issue.record("second use must be reuse"); return }
        guard case .invalid = try await store.consumeRefreshToken(hash: "issued") else { Issue.record("what the code issued must be revoked"); return }
        guard case .invalid = try await store.consumeAuthorizationCode(hash: "nope") else { Issue.record("unknown must be invalid"); return }
    }

    @Test(arguments: StoreKind.allCases)
    func clientAssertionJtisAreSingleUse(_ kind: StoreKind) async throws {
        guard let store = try await StoreFixtures.make(kind) else { return }
        let later = Date().addingTimeInterval(300)
        #expect(try await store.recordClientAssertion(clientID: "c1", jti: "j1", expiresAt: later))
        #expect(try await store.recordClientAssertion(clientID: "c1", jti: "j1", expiresAt: later) == false)
        #expect(try await store.recordClientAssertion(clientID: "c2", jti: "j1", expiresAt: later))
        // An expired record is pruned, after which the jti is also expired for the client's assertion check.
        #expect(try await store.recordClientAssertion(clientID: "c3", jti: "old", expiresAt: Date().addingTimeInterval(-10)))
        #expect(try await store.recordClientAssertion(clientID: "c3", jti: "old", expiresAt: later))
    }
}
