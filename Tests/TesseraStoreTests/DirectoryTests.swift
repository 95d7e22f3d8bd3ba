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
        guard let (store, site) = try await liveStore(kind, withSite: "a.example") else { return }
        let directory = Directory(users: store, developerTokens: store, accessKeys: store, clients: store, changes: store.changes)
        var user = try #require(try await directory.user(site: site.id, id: 1))
        #expect(try await directory.user(site: site.id, username: "ADMIN")?.id == 1)
        user.status = .inactive
        try await store.updateUser(user)
        try await eventually { try await directory.user(site: site.id, id: 1)?.status == .inactive }
        #expect(try await directory.developerToken(site: site.id, key: "k") == nil)
        let token = try await store.createDeveloperToken(TokenStoreContractTests.token(site: site, key: "k"))
        try await eventually { try await directory.developerToken(site: site.id, key: "k") == token }
        #expect(try await directory.developerToken(site: site.id, id: token.id) == token)
        _ = try await store.deleteDeveloperToken(site: site.id, id: token.id)
        try await eventually { try await directory.developerToken(site: site.id, id: token.id) == nil }
        #expect(try await directory.developerToken(site: site.id, key: "k") == nil)
        try await store.close()
    }

    @Test func aCacheOnOnePostgresInstanceForgetsWhatAnotherDeletes() async throws {
        guard let (a, b, site) = try await twoPostgresInstances() else { return }
        let token = try await a.createDeveloperToken(TokenStoreContractTests.token(site: site, key: "shared"))
        let cacheOnB = Directory(users: b, developerTokens: b, accessKeys: b, clients: b, changes: b.changes)
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
        guard let (store, site) = try await liveStore(kind, withSite: "clients.example") else { return }
        let counting = CountingClients(store)
        let directory = Directory(users: store, developerTokens: store, accessKeys: store, clients: counting, changes: store.changes)
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

/// Developer tokens are remembered one look-up at a time, found or not, in bounded memory: a store of a million
/// tokens costs what the tokens in use cost, and made-up keys cost one store round trip each, not one per request.
@Suite struct DeveloperTokenCacheTests {
    /// The store, counting the look-ups of one token by key or id.
    final class CountingTokens: DeveloperTokenStore {
        let base: any DeveloperTokenStore
        let lookups = Mutex(0)
        init(_ base: any DeveloperTokenStore) { self.base = base }
        private func counted<T>(_ read: () async throws -> T) async rethrows -> T {
            lookups.withLock { $0 += 1 }
            return try await read()
        }
        func createDeveloperToken(_ token: DeveloperToken) async throws -> DeveloperToken { try await base.createDeveloperToken(token) }
        func developerTokens(site: UUID) async throws -> [DeveloperToken] { try await base.developerTokens(site: site) }
        func developerTokens(site: UUID, newestFirstFrom offset: Int, limit: Int) async throws -> [DeveloperToken] {
            try await base.developerTokens(site: site, newestFirstFrom: offset, limit: limit)
        }
        func developerTokens(site: UUID, type: DeveloperTokenType) async throws -> [DeveloperToken] {
            try await counted { try await base.developerTokens(site: site, type: type) }
        }
        func developerTokenCount(site: UUID) async throws -> Int { try await counted { try await base.developerTokenCount(site: site) } }
        func developerToken(site: UUID, id: Int) async throws -> DeveloperToken? { try await counted { try await base.developerToken(site: site, id: id) } }
        func developerToken(site: UUID, key: String) async throws -> DeveloperToken? {
            try await counted { try await base.developerToken(site: site, key: key) }
        }
        func updateDeveloperToken(_ token: DeveloperToken, ifSaltsOf previous: DeveloperToken) async throws -> Bool {
            try await base.updateDeveloperToken(token, ifSaltsOf: previous)
        }
        func revokeLongTermJWT(site: UUID, id: Int, salt: String) async throws -> Bool {
            try await base.revokeLongTermJWT(site: site, id: id, salt: salt)
        }
        func deleteDeveloperToken(site: UUID, id: Int) async throws -> Bool { try await base.deleteDeveloperToken(site: site, id: id) }
        func deleteDeveloperTokens(site: UUID, createdBy user: Int, client: String) async throws -> [Int] {
            try await base.deleteDeveloperTokens(site: site, createdBy: user, client: client)
        }
    }

    /// A key that Swift's `String` takes for the same as a token's (`\u{212A}`, the Kelvin sign, is canonically `K`)
    /// is another key: looked up first, its miss does not hide the real token; looked up after, it does not find it.
    @Test(arguments: StoreKind.allCases)
    func aLookAlikeKeyIsAnotherKey(_ kind: StoreKind) async throws {
        guard let (store, site) = try await liveStore(kind, withSite: "lookalike.example") else { return }
        let token = try await store.createDeveloperToken(TokenStoreContractTests.token(site: site, key: "Kweb-2"))
        let lookAlike = "\u{212A}web-2"
        #expect(lookAlike == "Kweb-2")  // (what makes a String-keyed cache wrong)
        let directory = Directory(users: store, developerTokens: store, accessKeys: store, clients: store, changes: store.changes)
        #expect(try await directory.developerToken(site: site.id, key: lookAlike) == nil)
        #expect(try await directory.developerToken(site: site.id, key: "Kweb-2") == token)
        let other = Directory(users: store, developerTokens: store, accessKeys: store, clients: store, changes: store.changes)
        #expect(try await other.developerToken(site: site.id, key: "Kweb-2") == token)
        #expect(try await other.developerToken(site: site.id, key: lookAlike) == nil)
        try await store.close()
    }

    @Test(arguments: StoreKind.allCases)
    func lookUpsAreRememberedFoundOrNotAndTheMemoryIsBounded(_ kind: StoreKind) async throws {
        guard let (store, site) = try await liveStore(kind, withSite: "tokens.example") else { return }
        let server = try await store.createDeveloperToken(TokenStoreContractTests.token(site: site, key: "known"))
        let counting = CountingTokens(store)
        var others: [DeveloperToken] = []
        for i in 1...10 { others.append(try await store.createDeveloperToken(TokenStoreContractTests.token(site: site, key: "other-\(i)"))) }
        let directory = Directory(users: store, developerTokens: counting, accessKeys: store, clients: store, changes: store.changes,
                                  maxTokensPerSite: 8, maxMissingPerSite: 4)
        func lookups() -> Int { counting.lookups.withLock { $0 } }

        for _ in 0..<20 {
            #expect(try await directory.developerToken(site: site.id, key: "known") == server)
            #expect(try await directory.developerToken(site: site.id, id: server.id) == server)
            #expect(try await directory.developerToken(site: site.id, key: "made-up") == nil)
            #expect(try await directory.developerToken(site: site.id, id: 999) == nil)
        }
        #expect(lookups() == 4)
        // A flood of made-up keys: each is looked up once, the misses start over every 4, and the tokens in use
        // stay (the known one costs no read after it).
        for i in 0..<20 { #expect(try await directory.developerToken(site: site.id, key: "flood-\(i)") == nil) }
        #expect(lookups() == 24)
        #expect(try await directory.developerToken(site: site.id, key: "known") == server)
        #expect(lookups() == 24)
        // Past 8 tokens the found ones start over too: ten more tokens, the 7th of which cleared the first six.
        for other in others { #expect(try await directory.developerToken(site: site.id, key: other.key) == other) }
        #expect(lookups() == 34)
        #expect(try await directory.developerToken(site: site.id, key: "other-10") == others[9])
        #expect(lookups() == 34)
        #expect(try await directory.developerToken(site: site.id, key: "other-1") == others[0])
        #expect(lookups() == 35)

        // The count and the browser tokens are read once, and again after a change to the site's tokens.
        #expect(try await directory.developerTokenCount(site: site.id) == 11)
        #expect(try await directory.browserTokens(site: site.id).isEmpty)
        #expect(try await directory.developerTokenCount(site: site.id) == 11)
        #expect(try await directory.browserTokens(site: site.id).isEmpty)
        #expect(lookups() == 37)
        let created = try await store.createDeveloperToken(TokenStoreContractTests.token(site: site, key: "browser-key", type: .browser))
        try await eventually(timeout: .seconds(1)) { try await directory.browserTokens(site: site.id) == [created] }
        #expect(try await directory.developerTokenCount(site: site.id) == 12)
        #expect(try await directory.developerToken(site: site.id, key: "browser-key") == created)
        try await store.close()
    }
}

/// Two stores on one new PostgreSQL database, as two instances would open it, the second's change feed live, with a
/// default site; nil when PostgreSQL is not available here.
func twoPostgresInstances() async throws -> (SQLStore, SQLStore, Site)? {
    guard let url = try await StoreFixtures.newPostgresDatabase() else { return nil }
    let a = try SQLStore.postgres(url: url, logger: StoreFixtures.logger)
    _ = try await a.migrate(at: Date())
    let b = try SQLStore.postgres(url: url, logger: StoreFixtures.logger)
    try await waitUntil { b.changes.isLive }
    let site = StoreFixtures.site(isDefault: true)
    _ = try await a.bootstrapDefaultSite(site, users: StoreFixtures.firstUsers(site))
    return (a, b, site)
}

/// A store of `kind` whose change feed is live, with one site (this host name) and its first users; nil when that
/// kind of store is not available here.
func liveStore(_ kind: StoreKind, withSite hostname: String) async throws -> (any Store, Site)? {
    guard let store = try await StoreFixtures.make(kind) else { return nil }
    try await waitUntil { store.changes.isLive }
    let site = StoreFixtures.site(hostnames: [hostname])
    try await store.createSite(site, users: StoreFixtures.firstUsers(site))
    return (store, site)
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

/// The token exchange reads access keys through the `Directory`: once from the store, then from memory, and every
/// change to a key — made, deactivated, marked used, deleted one by one or with its application's consent — reaches
/// the cache at once, on either store and from another PostgreSQL instance.
@Suite struct AccessKeyCacheTests {
    final class CountingKeys: AccessKeyStore {
        let base: any AccessKeyStore
        let lookups = Mutex(0)
        init(_ base: any AccessKeyStore) { self.base = base }
        func createAccessKey(_ key: AccessKey) async throws { try await base.createAccessKey(key) }
        func accessKey(site: UUID, id: String) async throws -> AccessKey? {
            lookups.withLock { $0 += 1 }
            return try await base.accessKey(site: site, id: id)
        }
        func accessKeys(site: UUID, userID: Int?, offset: Int, limit: Int) async throws -> (keys: [AccessKey], total: Int) {
            try await base.accessKeys(site: site, userID: userID, offset: offset, limit: limit)
        }
        func setAccessKeyActive(site: UUID, id: String, active: Bool) async throws { try await base.setAccessKeyActive(site: site, id: id, active: active) }
        func markAccessKeyUsed(site: UUID, id: String, at time: Date) async throws -> Bool { try await base.markAccessKeyUsed(site: site, id: id, at: time) }
        func deleteAccessKey(site: UUID, id: String) async throws -> Bool { try await base.deleteAccessKey(site: site, id: id) }
        func deleteAccessKeys(site: UUID, createdBy user: Int, client: String) async throws -> Int {
            try await base.deleteAccessKeys(site: site, createdBy: user, client: client)
        }
    }

    static func key(_ site: Site, _ id: String, client: String? = nil) -> AccessKey {
        AccessKey(siteID: site.id, id: id, userID: 1, secretHash: "hash-of-\(id)", isActive: true, createdAt: Date(timeIntervalSince1970: 1_700_000_000),
                  lastUsedAt: nil, createdBy: 1, createdByClient: client)
    }

    @Test(arguments: StoreKind.allCases)
    func everyChangeToAKeyReachesTheCache(_ kind: StoreKind) async throws {
        guard let (store, site) = try await liveStore(kind, withSite: "keys.example") else { return }
        let counting = CountingKeys(store)
        let directory = Directory(users: store, developerTokens: store, accessKeys: counting, clients: store, changes: store.changes)
        func lookups() -> Int { counting.lookups.withLock { $0 } }

        // A miss is remembered, and a key made after it is found.
        #expect(try await directory.accessKey(site: site.id, id: "KEY-A") == nil)
        #expect(try await directory.accessKey(site: site.id, id: "KEY-A") == nil)
        #expect(lookups() == 1)
        let key = Self.key(site, "KEY-A")
        try await store.createAccessKey(key)
        try await eventually(timeout: .seconds(1)) { try await directory.accessKey(site: site.id, id: "KEY-A") == key }
        let read = lookups()
        for _ in 0..<10 { #expect(try await directory.accessKey(site: site.id, id: "KEY-A") == key) }
        #expect(lookups() == read)
        // Keys are compared by their bytes: an id that Swift's String takes for the same (U+212A, the Kelvin sign) is
        // another key.
        #expect("\u{212A}EY-A" == "KEY-A")
        #expect(try await directory.accessKey(site: site.id, id: "\u{212A}EY-A") == nil)
        #expect(try await directory.accessKey(site: site.id, id: "KEY-A") == key)

        try await store.setAccessKeyActive(site: site.id, id: "KEY-A", active: false)
        try await eventually(timeout: .seconds(1)) { try await directory.accessKey(site: site.id, id: "KEY-A")?.isActive == false }
        try await store.setAccessKeyActive(site: site.id, id: "KEY-A", active: true)
        try await eventually(timeout: .seconds(1)) { try await directory.accessKey(site: site.id, id: "KEY-A")?.isActive == true }
        let used = Date(timeIntervalSince1970: 1_800_000_000)
        #expect(try await store.markAccessKeyUsed(site: site.id, id: "KEY-A", at: used))
        try await eventually(timeout: .seconds(1)) { try await directory.accessKey(site: site.id, id: "KEY-A")?.lastUsedAt == used }
        #expect(try await store.deleteAccessKey(site: site.id, id: "KEY-A"))
        try await eventually(timeout: .seconds(1)) { try await directory.accessKey(site: site.id, id: "KEY-A") == nil }

        let granted = Self.key(site, "KEY-B", client: "some-app")
        try await store.createAccessKey(granted)
        try await eventually(timeout: .seconds(1)) { try await directory.accessKey(site: site.id, id: "KEY-B") == granted }
        #expect(try await store.deleteAccessKeys(site: site.id, createdBy: 1, client: "some-app") == 1)
        try await eventually(timeout: .seconds(1)) { try await directory.accessKey(site: site.id, id: "KEY-B") == nil }
        try await store.close()
    }

    /// While an instance of an older release may share the store (an upgrade not finished), that instance writes keys
    /// without announcing it: the server then reads every key from the store (`keepAccessKeysInMemory(false)`).
    @Test(arguments: StoreKind.allCases)
    func withOlderReleasesBesideItEveryKeyIsReadFromTheStore(_ kind: StoreKind) async throws {
        guard let (store, site) = try await liveStore(kind, withSite: "older.example") else { return }
        #expect(try await store.olderReleasesMayServe() == false)  // a new database: no older release ever served it
        let counting = CountingKeys(store)
        let directory = Directory(users: store, developerTokens: store, accessKeys: counting, clients: store, changes: store.changes)
        let key = Self.key(site, "KEY-OLD")
        try await store.createAccessKey(key)
        #expect(try await directory.accessKey(site: site.id, id: "KEY-OLD") == key)
        #expect(try await directory.accessKey(site: site.id, id: "KEY-OLD") == key)
        #expect(counting.lookups.withLock { $0 } == 1)
        directory.keepAccessKeysInMemory(false)
        for _ in 0..<3 { #expect(try await directory.accessKey(site: site.id, id: "KEY-OLD") == key) }
        #expect(counting.lookups.withLock { $0 } == 4)
        try await store.close()
    }

    @Test func aKeyDeactivatedOnOnePostgresInstanceStopsOnAnother() async throws {
        guard let (a, b, site) = try await twoPostgresInstances() else { return }
        try await a.createAccessKey(Self.key(site, "SHARED"))
        let cacheOnB = Directory(users: b, developerTokens: b, accessKeys: b, clients: b, changes: b.changes)
        try await eventually { try await cacheOnB.accessKey(site: site.id, id: "SHARED")?.isActive == true }
        try await a.setAccessKeyActive(site: site.id, id: "SHARED", active: false)
        try await eventually(timeout: .seconds(1)) { try await cacheOnB.accessKey(site: site.id, id: "SHARED")?.isActive == false }
        try await a.close()
        try await b.close()
    }
}
