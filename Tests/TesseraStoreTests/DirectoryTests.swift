import Foundation
import Synchronization
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

/// That no application has an id is remembered, so introspection by an unknown client (or an oauth developer token
/// authenticating as one) costs no store round trip each time; a registration drops the memory at once.
@Suite struct UnknownClientTests {
    /// The store, counting the lookups of an application by id.
    final class CountingClients: ClientStore {
        let base: any ClientStore
        let lookups = Mutex(0)
        init(_ base: any ClientStore) { self.base = base }
        func createApplication(_ application: Application) async throws { try await base.createApplication(application) }
        func application(clientID: String) async throws -> Application? {
            lookups.withLock { $0 += 1 }
            return try await base.application(clientID: clientID)
        }
        func createRegistration(_ registration: AppRegistration) async throws { try await base.createRegistration(registration) }
        func registrations(site: UUID) async throws -> [AppRegistration] { try await base.registrations(site: site) }
        func registration(site: UUID, trackingNumber: String) async throws -> AppRegistration? {
            try await base.registration(site: site, trackingNumber: trackingNumber)
        }
        func updateRegistration(_ registration: AppRegistration, newClients: [Application]) async throws {
            try await base.updateRegistration(registration, newClients: newClients)
        }
        func applications(trackingNumber: String) async throws -> [Application] { try await base.applications(trackingNumber: trackingNumber) }
        func deleteRegistrations(scheduledBefore: Date) async throws -> Int { try await base.deleteRegistrations(scheduledBefore: scheduledBefore) }
        func registeredOrigins() async throws -> [String] { try await base.registeredOrigins() }
    }

    @Test(arguments: StoreKind.allCases)
    func anUnknownClientIsLookedUpOnceUntilARegistrationAnnouncesItself(_ kind: StoreKind) async throws {
        guard let store = try await StoreFixtures.make(kind) else { return }
        try await waitUntil { store.changes.isLive }
        let site = StoreFixtures.site(hostnames: ["clients.example"])
        try await store.createSite(site, users: StoreFixtures.firstUsers(site))
        let counting = CountingClients(store)
        let directory = Directory(users: store, developerTokens: store, clients: counting, changes: store.changes)
        let id = "made-up-" + UUID().uuidString
        for _ in 0..<50 { #expect(try await directory.application(clientID: id) == nil) }
        #expect(counting.lookups.withLock { $0 } == 1)
        // Registered a moment later (here, by the same store; on PostgreSQL by any instance): found at once.
        try await store.createApplication(Application(siteID: site.id, clientID: id, name: "Late", type: .backend, authMethod: .clientSecretBasic,
                                                      secretSalt: "salt", redirectURIs: [], multiTenant: false, isEnabled: true, createdAt: Date()))
        try await eventually(timeout: .seconds(1)) { try await directory.application(clientID: id)?.name == "Late" }
        try await store.close()
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
