import Foundation
import Synchronization
import Testing
import TesseraTestSupport
import TesseraCore
import TesseraCrypto
import TesseraStore

/// The developer-token, audit and change-feed part of the store contract, on SQLite and PostgreSQL.
@Suite struct TokenStoreContractTests {
    static func token(site: Site, key: String, type: DeveloperTokenType = .server) -> DeveloperToken {
        DeveloperToken(siteID: site.id, id: 0, type: type, name: "t \(key)", key: key, hosts: type == .server ? [] : ["a.example", "*.b.example"],
                       restrictedUserID: type == .server ? 1 : nil, secretSalt: "salt", secretHash: nil, jwtSalt: type == .server ? "jwt" : nil,
                       createdBy: 1, createdAt: Date(timeIntervalSince1970: 1_800_000_000))
    }

    @Test(arguments: StoreKind.allCases)
    func tokensRoundTripWithPerSiteIdsAndUniqueKeys(_ kind: StoreKind) async throws {
        guard let store = try await StoreFixtures.make(kind) else { return }
        let a = StoreFixtures.site(hostnames: ["a.example"])
        let b = StoreFixtures.site(hostnames: ["b.example"])
        try await store.createSite(a, users: StoreFixtures.firstUsers(a))
        try await store.createSite(b, users: StoreFixtures.firstUsers(b))
        let first = try await store.createDeveloperToken(Self.token(site: a, key: "k1"))
        let second = try await store.createDeveloperToken(Self.token(site: a, key: "k2", type: .browser))
        let inB = try await store.createDeveloperToken(Self.token(site: b, key: "k1"))
        #expect(first.id == 1 && second.id == 2 && inB.id == 1)
        await expectConflict { _ = try await store.createDeveloperToken(Self.token(site: a, key: "k1")) }
        #expect(try await store.developerTokens(site: a.id) == [first, second])
        #expect(try await store.developerTokens(site: b.id) == [inB])
        // The look-ups the directory and the dashboard make: one token by key or id, a page newest first, the
        // tokens of one type, the count — each of one site only.
        #expect(try await store.developerToken(site: a.id, key: "k2") == second)
        #expect(try await store.developerToken(site: b.id, key: "k2") == nil)
        #expect(try await store.developerToken(site: b.id, id: 1) == inB)
        #expect(try await store.developerTokens(site: a.id, newestFirstFrom: 0, limit: 10) == [second, first])
        #expect(try await store.developerTokens(site: a.id, newestFirstFrom: 1, limit: 1) == [first])
        #expect(try await store.developerTokens(site: a.id, type: .browser) == [second])
        #expect(try await store.developerTokens(site: b.id, type: .browser).isEmpty)
        #expect(try await store.developerTokenCount(site: a.id) == 2)
        // An update applies over the salts it read, and only then; a revocation takes the JWT of its salt only.
        var changed = first
        changed.name = "renamed"
        changed.restrictedUserID = nil
        changed.jwtSalt = "jwt-2"
        #expect(try await store.updateDeveloperToken(changed, ifSaltsOf: first))
        #expect(try await store.developerTokens(site: a.id).first == changed)
        var stale = first
        stale.name = "from a stale read"
        #expect(try await store.updateDeveloperToken(stale, ifSaltsOf: first) == false)
        #expect(try await store.revokeLongTermJWT(site: a.id, id: 1, salt: "jwt") == false)
        #expect(try await store.developerTokens(site: a.id).first == changed)
        #expect(try await store.revokeLongTermJWT(site: a.id, id: 1, salt: "jwt-2"))
        #expect(try await store.revokeLongTermJWT(site: a.id, id: 1, salt: "jwt-2") == false)
        changed.jwtSalt = nil
        #expect(try await store.developerTokens(site: a.id).first == changed)
        #expect(try await store.updateDeveloperToken(changed, ifSaltsOf: changed))
        #expect(try await store.deleteDeveloperToken(site: a.id, id: 1))
        #expect(try await store.deleteDeveloperToken(site: a.id, id: 1) == false)
        #expect(try await store.developerTokens(site: a.id).map(\.id) == [2])
        // A deleted id is not reused.
        #expect(try await store.createDeveloperToken(Self.token(site: a, key: "k3")).id == 3)
        var ghost = changed
        ghost.id = 99
        #expect(try await store.updateDeveloperToken(ghost, ifSaltsOf: ghost) == false)
        try await store.close()
    }

    @Test(arguments: StoreKind.allCases)
    func auditEventsAreKeptNewestFirstPerSite(_ kind: StoreKind) async throws {
        guard let store = try await StoreFixtures.make(kind) else { return }
        let a = StoreFixtures.site(hostnames: ["a.example"])
        let b = StoreFixtures.site(hostnames: ["b.example"])
        try await store.createSite(a, users: StoreFixtures.firstUsers(a))
        try await store.createSite(b, users: StoreFixtures.firstUsers(b))
        let events = (0..<5).map { i in
            AuditEvent(siteID: i == 4 ? b.id : a.id, at: Date(timeIntervalSince1970: 1_800_000_000 + Double(i)), action: "act\(i)", outcome: "success",
                       actorUserID: i == 0 ? nil : 1, tokenID: i, clientAddress: "127.0.0.1", detail: "d\(i)")
        }
        try await store.appendAudit(events)
        let listed = try await store.auditEvents(site: a.id, offset: 0, limit: 10)
        #expect(listed.map(\.action) == ["act3", "act2", "act1", "act0"])
        #expect(listed.last?.actorUserID == nil && listed.first?.tokenID == 3)
        #expect(try await store.auditEvents(site: a.id, offset: 1, limit: 2).map(\.action) == ["act2", "act1"])
        #expect(try await store.auditEvents(site: b.id, offset: 0, limit: 10).map(\.action) == ["act4"])
        try await store.close()
    }

    @Test(arguments: StoreKind.allCases)
    func masterKeyFingerprintIsRecordedOnce(_ kind: StoreKind) async throws {
        guard let store = try await StoreFixtures.make(kind) else { return }
        #expect(try await store.masterKeyFingerprint(proposed: "first") == "first")
        #expect(try await store.masterKeyFingerprint(proposed: "second") == "first")
        try await store.close()
    }

    @Test(arguments: StoreKind.allCases)
    func writesAreAnnounced(_ kind: StoreKind) async throws {
        guard let store = try await StoreFixtures.make(kind) else { return }
        let seen = Mutex<[StoreChange]>([])
        store.changes.subscribe { change in seen.withLock { $0.append(change) } }
        try await waitUntil { store.changes.isLive }
        let site = StoreFixtures.site(hostnames: ["a.example"])
        try await store.createSite(site, users: StoreFixtures.firstUsers(site))
        let user = try await store.createUser(StoreFixtures.user(site: site, username: "watched"))
        try await store.updateUser(user)
        let token = try await store.createDeveloperToken(Self.token(site: site, key: "kk"))
        _ = try await store.deleteDeveloperToken(site: site.id, id: token.id)
        let expected: [StoreChange] = [.sites, .user(site: site.id, id: user.id), .user(site: site.id, id: user.id),
                                       .developerTokens(site: site.id), .developerTokens(site: site.id)]
        try await waitUntil { seen.withLock { $0.filter { $0 != .all } } == expected }
        try await store.close()
    }

    @Test func anotherPostgresInstanceHearsChangesWithinASecond() async throws {
        guard let url = try await StoreFixtures.newPostgresDatabase() else { return }
        let writer = try SQLStore.postgres(url: url, logger: StoreFixtures.logger)
        try await writer.migrate(at: Date())
        let reader = try SQLStore.postgres(url: url, logger: StoreFixtures.logger)
        let heard = Mutex<[StoreChange]>([])
        reader.changes.subscribe { change in heard.withLock { $0.append(change) } }
        try await waitUntil { reader.changes.isLive }
        let site = StoreFixtures.site(isDefault: true)
        _ = try await writer.bootstrapDefaultSite(site, users: StoreFixtures.firstUsers(site))
        let token = try await writer.createDeveloperToken(Self.token(site: site, key: "kk"))
        let started = ContinuousClock.now
        _ = try await writer.deleteDeveloperToken(site: site.id, id: token.id)
        try await waitUntil(timeout: .seconds(1)) { heard.withLock { $0.filter { $0 == .developerTokens(site: site.id) }.count == 2 } }
        #expect(ContinuousClock.now - started < .seconds(1))
        try await writer.close()
        try await reader.close()
    }
}

/// Polls a condition every 10 ms; records a failure when it is still false at the timeout.
func waitUntil(timeout: Duration = .seconds(5), sourceLocation: SourceLocation = #_sourceLocation, _ condition: @Sendable () -> Bool) async throws {
    let deadline = ContinuousClock.now + timeout
    while ContinuousClock.now < deadline {
        if condition() { return }
        try await Task.sleep(for: .milliseconds(10))
    }
    #expect(condition(), "condition not met within \(timeout)", sourceLocation: sourceLocation)
}
