import Foundation
import Testing
import TesseraTestSupport
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
        // Use is marked on an active key only; activation changes nothing else.
        var changed = keys[1]
        changed.lastUsedAt = Self.epoch.addingTimeInterval(60)
        #expect(try await store.markAccessKeyUsed(site: site.id, id: "KEY1", at: Self.epoch.addingTimeInterval(60)))
        #expect(try await store.accessKey(site: site.id, id: "KEY1") == changed)
        changed.isActive = false
        try await store.setAccessKeyActive(site: site.id, id: "KEY1", active: false)
        #expect(try await store.accessKey(site: site.id, id: "KEY1") == changed)
        #expect(try await store.markAccessKeyUsed(site: site.id, id: "KEY1", at: Self.epoch.addingTimeInterval(120)) == false)
        #expect(try await store.accessKey(site: site.id, id: "KEY1") == changed)
        #expect(try await store.markAccessKeyUsed(site: other.id, id: "KEY0", at: Self.epoch) == false)
        await #expect(throws: StoreError.self) { try await store.setAccessKeyActive(site: other.id, id: "KEY1", active: true) }
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
    func refreshTokensAreSpentOnceAndFamiliesRevokedTogether(_ kind: StoreKind) async throws {
        guard let store = try await StoreFixtures.make(kind) else { return }
        let site = try await Self.siteWithUsers(store, host: "rt.example")
        let family = UUID()
        let at = Self.epoch.addingTimeInterval(10)
        func token(_ hash: String, family: UUID = family) -> RefreshToken {
            RefreshToken(hash: hash, familyID: family, siteID: site.id, userID: 1, clientID: hash == "c" ? nil : "client", scope: "openid",
                         authTime: 1_800_000_000, createdAt: Self.epoch, expiresAt: Self.epoch.addingTimeInterval(3600))
        }
        try await store.insertRefreshToken(token("a"))
        try await store.insertRefreshToken(token("other", family: UUID()))
        guard case .spent(let spent) = try await store.spendRefreshToken(hash: "a", at: at) else { Issue.record("first use must spend"); return }
        #expect(spent == token("a"))
        #expect(try await store.refreshToken(hash: "a") == nil)
        try await store.insertRefreshToken(token("b"))
        // "a" again: the store says it was spent (and what it was), and changes nothing.
        guard case .alreadySpent(let again) = try await store.spendRefreshToken(hash: "a", at: at) else { Issue.record("second use: spent"); return }
        #expect(again.familyID == family)
        #expect(try await store.refreshToken(hash: "b") == token("b"))
        // Revoking the family revokes "b" with it; another family is untouched.
        try await store.revokeRefreshFamily(family)
        guard case .revoked = try await store.spendRefreshToken(hash: "b", at: at) else { Issue.record("the family must be revoked"); return }
        #expect(try await store.refreshToken(hash: "b") == nil)
        guard case .unknown = try await store.spendRefreshToken(hash: "unknown", at: at) else { Issue.record("unknown must be unknown"); return }
        guard case .spent = try await store.spendRefreshToken(hash: "other", at: at) else { Issue.record("other families stay valid"); return }
        try await store.insertRefreshToken(token("c", family: UUID()))
        guard case .spent(let c) = try await store.spendRefreshToken(hash: "c", at: at) else { Issue.record("c must spend"); return }
        #expect(c.clientID == nil)
        try await store.revokeRefreshFamily(c.familyID)
        guard case .revoked = try await store.spendRefreshToken(hash: "c", at: at) else { Issue.record("revoked must be revoked"); return }
    }

    @Test(arguments: StoreKind.allCases)
    func rotationSpendsAndStoresTheSuccessorTogetherOrNeither(_ kind: StoreKind) async throws {
        guard let store = try await StoreFixtures.make(kind) else { return }
        let site = try await Self.siteWithUsers(store, host: "rotate.example")
        let family = UUID()
        let at = Self.epoch.addingTimeInterval(10)
        func token(_ hash: String, family: UUID = family) -> RefreshToken {
            RefreshToken(hash: hash, familyID: family, siteID: site.id, userID: 1, clientID: "client", scope: "openid",
                         authTime: 1_800_000_000, createdAt: Self.epoch, expiresAt: Self.epoch.addingTimeInterval(3600))
        }
        try await store.insertRefreshToken(token("r1"))
        guard case .spent(let spent) = try await store.rotateRefreshToken(spending: "r1", at: at, successor: token("r2")) else {
            Issue.record("an unspent token rotates"); return
        }
        #expect(spent == token("r1"))
        #expect(try await store.refreshToken(hash: "r1") == nil)
        #expect(try await store.refreshToken(hash: "r2") == token("r2"))
        // A second rotation of r1 finds it spent and stores nothing.
        guard case .alreadySpent = try await store.rotateRefreshToken(spending: "r1", at: at, successor: token("r3")) else {
            Issue.record("a spent token does not rotate again"); return
        }
        guard case .unknown = try await store.spendRefreshToken(hash: "r3", at: at) else { Issue.record("no successor for a replay"); return }
        guard case .unknown = try await store.rotateRefreshToken(spending: "nothing", at: at, successor: token("r4")) else {
            Issue.record("unknown is unknown"); return
        }
        guard case .unknown = try await store.spendRefreshToken(hash: "r4", at: at) else { Issue.record("no successor for an unknown token"); return }
        try await store.revokeRefreshFamily(family)
        guard case .revoked = try await store.rotateRefreshToken(spending: "r2", at: at, successor: token("r5")) else {
            Issue.record("a revoked token does not rotate"); return
        }
        guard case .unknown = try await store.spendRefreshToken(hash: "r5", at: at) else { Issue.record("no successor for a revoked token"); return }
        // A successor that cannot be stored (its hash is taken) leaves the spent token unspent: all or nothing.
        let other = UUID()
        try await store.insertRefreshToken(token("s1", family: other))
        try await store.insertRefreshToken(token("taken", family: other))
        await #expect(throws: StoreError.self) {
            _ = try await store.rotateRefreshToken(spending: "s1", at: at, successor: token("taken", family: other))
        }
        #expect(try await store.refreshToken(hash: "s1") == token("s1", family: other))
    }

    @Test(arguments: StoreKind.allCases)
    func aClientsRefreshTokensForAUserAreRevokedTogether(_ kind: StoreKind) async throws {
        guard let store = try await StoreFixtures.make(kind) else { return }
        let site = try await Self.siteWithUsers(store, host: "grant.example")
        let (f1, f2, f3) = (UUID(), UUID(), UUID())
        for (hash, family, client, user) in [("x1", f1, "app", 1), ("x2", f2, "app", 1), ("x3", f3, "other", 1), ("x4", UUID(), "app", 2)] {
            try await store.insertRefreshToken(RefreshToken(hash: hash, familyID: family, siteID: site.id, userID: user, clientID: client,
                                                            scope: "openid", authTime: 0, createdAt: Self.epoch,
                                                            expiresAt: Self.epoch.addingTimeInterval(60)))
        }
        #expect(Set(try await store.revokeRefreshTokens(site: site.id, userID: 1, clientID: "app")) == [f1, f2])
        #expect(try await store.refreshToken(hash: "x1") == nil)
        #expect(try await store.refreshToken(hash: "x2") == nil)
        #expect(try await store.refreshToken(hash: "x3") != nil)
        #expect(try await store.refreshToken(hash: "x4") != nil)
        #expect(try await store.revokeRefreshTokens(site: site.id, userID: 1, clientID: "app").isEmpty)
    }

    @Test(arguments: StoreKind.allCases)
    func concurrentRefreshesOfOneTokenSpendItOnce(_ kind: StoreKind) async throws {
        guard let store = try await StoreFixtures.make(kind) else { return }
        let site = try await Self.siteWithUsers(store, host: "race.example")
        try await store.insertRefreshToken(RefreshToken(hash: "race", familyID: UUID(), siteID: site.id, userID: 1, clientID: nil, scope: "openid",
                                                        authTime: 0, createdAt: Self.epoch, expiresAt: Self.epoch.addingTimeInterval(60)))
        let spent = try await withThrowingTaskGroup(of: Bool.self) { group in
            for _ in 0..<8 {
                group.addTask {
                    if case .spent = try await store.spendRefreshToken(hash: "race", at: Self.epoch) { return true } else { return false }
                }
            }
            return try await group.reduce(0) { $0 + ($1 ? 1 : 0) }
        }
        #expect(spent == 1)
    }

    @Test(arguments: StoreKind.allCases)
    func codesAreSpentOnce(_ kind: StoreKind) async throws {
        guard let store = try await StoreFixtures.make(kind) else { return }
        let site = try await Self.siteWithUsers(store, host: "code.example")
        let family = UUID()
        let code = AuthorizationCode(hash: "code", siteID: site.id, clientID: "client", userID: 1, redirectURI: "https://a.example/cb",
                                     codeChallenge: "challenge", nonce: "n", scope: "openid", authTime: 1_800_000_000, familyID: family,
                                     createdAt: Self.epoch, expiresAt: Self.epoch.addingTimeInterval(60))
        try await store.insertAuthorizationCode(code)
        guard case .spent(let spent) = try await store.spendAuthorizationCode(hash: "code", at: Self.epoch) else { Issue.record("first use must spend"); return }
        #expect(spent == code)
        guard case .alreadySpent(let again) = try await store.spendAuthorizationCode(hash: "code", at: Self.epoch) else {
            Issue.record("second use: spent"); return
        }
        #expect(again.familyID == family)
        guard case .unknown = try await store.spendAuthorizationCode(hash: "nope", at: Self.epoch) else { Issue.record("unknown must be unknown"); return }
    }

    @Test(arguments: StoreKind.allCases)
    func clientAssertionJtisAreSingleUse(_ kind: StoreKind) async throws {
        guard let store = try await StoreFixtures.make(kind) else { return }
        let now = Self.epoch
        let later = now.addingTimeInterval(300)
        #expect(try await store.recordClientAssertion(clientID: "c1", jti: "j1", expiresAt: later, now: now))
        #expect(try await store.recordClientAssertion(clientID: "c1", jti: "j1", expiresAt: later, now: now) == false)
        #expect(try await store.recordClientAssertion(clientID: "c2", jti: "j1", expiresAt: later, now: now))
        // An expired record is pruned, after which the jti is also expired for the client's assertion check.
        #expect(try await store.recordClientAssertion(clientID: "c3", jti: "old", expiresAt: now.addingTimeInterval(-10), now: now))
        #expect(try await store.recordClientAssertion(clientID: "c3", jti: "old", expiresAt: later, now: now))
    }
}
