import Foundation
import Testing
import TesseraTestSupport
import TesseraCore
import TesseraCrypto
import TesseraStore

/// The cache in front of the store: served from memory, and never stale after a change, on either store.
@Suite struct DirectoryTests {
    @Test(arguments: StoreKind.allCases)
    func changesReachTheCache(_ kind: StoreKind) async throws {
        guard let store = try await StoreFixtures.make(kind) else { return }
        try await waitUntil { store.changes.isLive }
        let site = StoreFixtures.site(hostnames: ["a.example"])
        try await store.createSite(site, users: StoreFixtures.firstUsers(site))
        let directory = Directory(users: store, developerTokens: store, clients: store, changes: store.changes)
        var user = try #require(try await directory.user(site: site.id, id: 1))
        #expect(try await directory.user(site: site.id, username: "ADMIN")?.id == 1)
        user.status = .inactive
        try await store.updateUser(user)
        try await eventually { try await directory.user(site: site.id, id: 1)?.status == .inactive }
        #expect(try await directory.developerToken(site: site.id, key: "k") == nil)
        let token = try await store.createDeveloperToken(TokenStoreContractTests.token(site: site, key: "k"))
        try await eventually { try await directory.developerToken(site: site.id, key: "k") == token }
        _ = try await store.deleteDeveloperToken(site: site.id, id: token.id)
        try await eventually { try await directory.developerToken(site: site.id, id: token.id) == nil }
        try await store.close()
    }

    @Test func aCacheOnOnePostgresInstanceForgetsWhatAnotherDeletes() async throws {
        guard let url = try await StoreFixtures.newPostgresDatabase() else { return }
        let a = try SQLStore.postgres(url: url, logger: StoreFixtures.logger)
        _ = try await a.migrate(at: Date())
        let b = try SQLStore.postgres(url: url, logger: StoreFixtures.logger)
        try await waitUntil { b.changes.isLive }
        let site = StoreFixtures.site(isDefault: true)
        _ = try await a.bootstrapDefaultSite(site, users: StoreFixtures.firstUsers(site))
        let token = try await a.createDeveloperToken(TokenStoreContractTests.token(site: site, key: "shared"))
        let cacheOnB = Directory(users: b, developerTokens: b, clients: b, changes: b.changes)
        try await eventually { try await cacheOnB.developerToken(site: site.id, key: "shared") != nil }
        _ = try await a.deleteDeveloperToken(site: site.id, id: token.id)
        let started = ContinuousClock.now
        try await eventually(timeout: .seconds(1)) { try await cacheOnB.developerToken(site: site.id, key: "shared") == nil }
        #expect(ContinuousClock.now - started < .seconds(1))
        try await a.close()
        try await b.close()
    }
}

/// Polls an async condition every 10 ms until it holds; records a failure at the timeout.
func eventually(timeout: Duration = .seconds(5), sourceLocation: SourceLocation = #_sourceLocation, _ condition: () async throws -> Bool) async throws {
    let deadline = ContinuousClock.now + timeout
    while ContinuousClock.now < deadline {
        if try await condition() { return }
        try await Task.sleep(for: .milliseconds(10))
    }
    #expect(try await condition(), "condition not met within \(timeout)", sourceLocation: sourceLocation)
}
