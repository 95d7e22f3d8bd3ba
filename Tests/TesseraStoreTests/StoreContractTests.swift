import Foundation
import Testing
import TesseraTestSupport
import TesseraCore
import TesseraStore

/// One contract, run unchanged against SQLite and PostgreSQL.
@Suite struct StoreContractTests {
    @Test(arguments: StoreKind.allCases)
    func migrationIsIdempotent(_ kind: StoreKind) async throws {
        guard let store = try await StoreFixtures.make(kind) else { return }
        try await store.migrate(at: Date())
        try await store.migrate(at: Date())
        try await store.ping()
        #expect(try await store.sites().isEmpty)
        try await store.close()
    }

    @Test(arguments: StoreKind.allCases)
    func bootstrapCreatesTheDefaultSiteOnce(_ kind: StoreKind) async throws {
        guard let store = try await StoreFixtures.make(kind) else { return }
        let first = StoreFixtures.site(isDefault: true)
        #expect(try await store.bootstrapDefaultSite(first, users: StoreFixtures.firstUsers(first)))
        let second = StoreFixtures.site(isDefault: true)
        #expect(try await store.bootstrapDefaultSite(second, users: StoreFixtures.firstUsers(second)) == false)
        let sites = try await store.sites()
        #expect(sites.map(\.id) == [first.id])
        #expect(sites.first?.authTokenKey == first.authTokenKey)
        #expect(try await store.user(site: first.id, id: 1)?.username == "admin")
        #expect(try await store.user(site: first.id, id: 2)?.username == "Anonymous")
        try await store.close()
    }

    /// Text with a NUL is refused by both stores alike, before the database sees it: SQLite would cut it at the
    /// NUL, so `admin\0x` found `admin` (a sign-in that the throttle, keyed by the whole name, did not count).
    @Test(arguments: StoreKind.allCases)
    func textWithANulIsRefusedNotCut(_ kind: StoreKind) async throws {
        guard let store = try await StoreFixtures.make(kind) else { return }
        try await store.migrate(at: Date())
        let site = StoreFixtures.site(isDefault: true)
        _ = try await store.bootstrapDefaultSite(site, users: StoreFixtures.firstUsers(site))
        #expect(try await store.user(site: site.id, username: "admin")?.id == 1)
        await #expect(throws: StoreError.unstorable("a NUL character")) { try await store.user(site: site.id, username: "admin\0x") }
        await #expect(throws: StoreError.unstorable("a NUL character")) { try await store.accessKey(site: site.id, id: "k\0") }
        try await store.close()
    }

    @Test(arguments: StoreKind.allCases)
    func concurrentBootstrapsCreateExactlyOneSite(_ kind: StoreKind) async throws {
        guard let store = try await StoreFixtures.make(kind) else { return }
        let created = try await withThrowingTaskGroup(of: Bool.self) { group in
            for _ in 0..<6 {
                group.addTask {
                    let site = StoreFixtures.site(isDefault: true)
                    return try await store.bootstrapDefaultSite(site, users: StoreFixtures.firstUsers(site))
                }
            }
            return try await group.reduce(0) { $0 + ($1 ? 1 : 0) }
        }
        #expect(created == 1)
        #expect(try await store.sites().count == 1)
        try await store.close()
    }

    @Test(arguments: StoreKind.allCases)
    func sitesKeepHostnamesAndRefuseTakenOnes(_ kind: StoreKind) async throws {
        guard let store = try await StoreFixtures.make(kind) else { return }
        let a = StoreFixtures.site(hostnames: ["a.example", "www.a.example"])
        try await store.createSite(a, users: StoreFixtures.firstUsers(a))
        let b = StoreFixtures.site(hostnames: ["b.example", "a.example"])
        await expectConflict { try await store.createSite(b, users: StoreFixtures.firstUsers(b)) }
        // The failed site left nothing behind.
        let sites = try await store.sites()
        #expect(sites.count == 1)
        #expect(Set(sites[0].hostnames) == ["a.example", "www.a.example"])
        #expect(try await store.site(id: b.id) == nil)
        #expect(try await store.site(id: a.id)?.name == "Site")
        try await store.close()
    }

    @Test(arguments: StoreKind.allCases)
    func usersGetSequentialIdsAndUniqueNamesPerSite(_ kind: StoreKind) async throws {
        guard let store = try await StoreFixtures.make(kind) else { return }
        let a = StoreFixtures.site(hostnames: ["a.example"])
        let b = StoreFixtures.site(hostnames: ["b.example"])
        try await store.createSite(a, users: StoreFixtures.firstUsers(a))
        try await store.createSite(b, users: StoreFixtures.firstUsers(b))
        let bob = try await store.createUser(StoreFixtures.user(site: a, username: "Bob"))
        let carol = try await store.createUser(StoreFixtures.user(site: a, username: "carol"))
        #expect(bob.id == 3)
        #expect(carol.id == 4)
        await expectConflict { _ = try await store.createUser(StoreFixtures.user(site: a, username: "BOB")) }
        // The same name in another site is a different user.
        let otherBob = try await store.createUser(StoreFixtures.user(site: b, username: "bob"))
        #expect(otherBob.id == 3)
        #expect(try await store.user(site: a.id, username: "BOB")?.guid == bob.guid)
        #expect(try await store.user(site: b.id, username: "bob")?.guid == otherBob.guid)
        // Nothing of one site is visible from the other.
        #expect(try await store.user(site: b.id, id: 4) == nil)
        #expect(try await store.user(site: b.id, username: "carol") == nil)
        #expect(try await store.searchUsers(site: b.id, query: UserQuery()).map(\.username) == ["admin", "Anonymous", "bob"])
        try await store.close()
    }

    @Test(arguments: StoreKind.allCases)
    func userFieldsRoundTripAndUpdate(_ kind: StoreKind) async throws {
        guard let store = try await StoreFixtures.make(kind) else { return }
        let site = StoreFixtures.site(hostnames: ["a.example"])
        try await store.createSite(site, users: StoreFixtures.firstUsers(site))
        var user = try await store.createUser(StoreFixtures.user(site: site, username: "dave"))
        #expect(try await store.user(site: site.id, id: user.id) == user)
        user.username = "David"
        user.email = "d@example.com"
        user.fullName = "David D"
        user.status = .inactive
        user.hasSeat = false
        user.roleName = Role.contributor.name
        user.passwordHash = nil
        user.securityStamp = "new-stamp"
        user.lastLoginAt = Date(timeIntervalSince1970: 1_800_000_123)
        try await store.updateUser(user)
        #expect(try await store.user(site: site.id, id: user.id) == user)
        #expect(try await store.user(site: site.id, username: "dave") == nil)
        #expect(try await store.user(site: site.id, username: "david")?.id == user.id)
        var ghost = user
        ghost.id = 999
        await #expect(throws: StoreError.notFound) { try await store.updateUser(ghost) }
        var clash = user
        clash.username = "ADMIN"
        await expectConflict { try await store.updateUser(clash) }
        try await store.close()
    }

    @Test(arguments: StoreKind.allCases)
    func pagingAndCounts(_ kind: StoreKind) async throws {
        guard let store = try await StoreFixtures.make(kind) else { return }
        let site = StoreFixtures.site(hostnames: ["a.example"])
        try await store.createSite(site, users: StoreFixtures.firstUsers(site))
        for i in 0..<5 { _ = try await store.createUser(StoreFixtures.user(site: site, username: "u\(i)", role: i < 2 ? .admin : .viewer, status: i == 0 ? .inactive : .active)) }
        #expect(try await store.userCount(site: site.id) == 7)
        var page = UserQuery()
        (page.offset, page.limit) = (2, 3)
        #expect(try await store.searchUsers(site: site.id, query: page).map(\.id) == [3, 4, 5])
        #expect(try await store.countUsers(site: site.id, query: page) == 7)
        page.offset = 10
        #expect(try await store.searchUsers(site: site.id, query: page).isEmpty)
        // admin (id 1) and u1 are active admins; u0 is an inactive one.
        #expect(try await store.activeUserCount(site: site.id, roleName: "Admin") == 2)
        try await store.close()
    }

    /// Expert's user search: case-insensitive prefixes on NFC keys, name-or-full-name, name-or-e-mail, exact role,
    /// status and seat, sorting both ways with ties in id order, and `%` and `_` as plain characters.
    @Test(arguments: StoreKind.allCases)
    func userSearch(_ kind: StoreKind) async throws {
        guard let store = try await StoreFixtures.make(kind) else { return }
        let site = StoreFixtures.site(hostnames: ["a.example"])
        try await store.createSite(site, users: StoreFixtures.firstUsers(site))
        func add(_ name: String, email: String, full: String, role: Role = .viewer, active: Bool = true, seat: Bool = true) async throws {
            var user = StoreFixtures.user(site: site, username: name, role: role, status: active ? .active : .inactive)
            (user.email, user.fullName, user.hasSeat) = (email, full, seat)
            _ = try await store.createUser(user)
        }
        try await add("Jane.Doe", email: "jd@corp.example", full: "Jane Doe")                                    // 3
        try await add("jane_roe", email: "zz@corp.example", full: "Roe, Jane", role: .contributor, seat: false)    // 4
        try await add("janet", email: "jane@other.example", full: "Janet Z", active: false)                      // 5
        try await add("Émile", email: "emile@corp.example", full: "Émile Ñandú", role: .admin)                   // 6
        try await add("j%ne", email: "pct@corp.example", full: "Percent")                                        // 7
        try await add("mark", email: "Mark@Corp.example", full: "jane's friend")                                 // 8
        func ids(_ build: (inout UserQuery) -> Void) async throws -> [Int] {
            var q = UserQuery()
            build(&q)
            let found = try await store.searchUsers(site: site.id, query: q)
            #expect(found.count <= (try await store.countUsers(site: site.id, query: q)))
            return found.map(\.id)
        }
        #expect(try await ids { $0.usernamePrefix = "JANE" } == [3, 4, 5])
        #expect(try await ids { $0.usernamePrefix = "jane_" } == [4])
        #expect(try await ids { $0.usernamePrefix = "j%" } == [7])
        #expect(try await ids { $0.usernamePrefix = "j_" }.isEmpty)
        #expect(try await ids { $0.usernamePrefix = "émi" } == [6])
        #expect(try await ids { $0.usernamePrefix = "E\u{301}MI" } == [6])   // decomposed, upper case: the same key
        #expect(try await ids { $0.fullNamePrefix = "jane" } == [3, 8, 5])   // by full name: no sortby, the index's order
        #expect(try await ids { ($0.usernamePrefix, $0.fullNamePrefix) = ("mark", "roe") } == [4, 8])
        #expect(try await ids { $0.usernameOrEmailPrefix = "jane" } == [3, 4, 5])
        #expect(try await ids { $0.usernameOrEmailPrefix = "MARK@" } == [8])
        #expect(try await ids { ($0.usernamePrefix, $0.usernameOrEmailPrefix) = ("jane", "jd") } == [3])
        #expect(try await ids { ($0.usernamePrefix, $0.activated) = ("jane", false) } == [5])
        #expect(try await ids { ($0.usernamePrefix, $0.seated) = ("jane", false) } == [4])
        #expect(try await ids { $0.roleName = "Admin" } == [1, 6])
        #expect(try await ids { $0.usernamePrefix = "jane"; $0.sort = .id; $0.descending = true } == [5, 4, 3])
        #expect(try await ids { ($0.usernamePrefix, $0.sort, $0.descending) = ("jane", .username, true) } == [5, 4, 3])
        #expect(try await ids { ($0.usernamePrefix, $0.sort) = ("j", .email) } == [5, 3, 7, 4])
        #expect(try await ids { ($0.fullNamePrefix, $0.sort) = ("j", .fullname) } == [3, 8, 5])
        #expect(try await ids { ($0.sort, $0.descending, $0.limit) = (.id, true, 2) } == [8, 7])
        var q = UserQuery()
        (q.usernamePrefix, q.limit, q.offset) = ("jane", 1, 1)
        #expect(try await store.searchUsers(site: site.id, query: q).map(\.id) == [4])
        #expect(try await store.countUsers(site: site.id, query: q) == 3)
        // The keys follow an update.
        var mark = try #require(try await store.user(site: site.id, id: 8))
        mark.email = "quinn@corp.example"
        try await store.updateUser(mark)
        #expect(try await ids { $0.usernameOrEmailPrefix = "quinn" } == [8])
        #expect(try await ids { $0.usernameOrEmailPrefix = "mark@" }.isEmpty)
        try await store.close()
    }

    @Test(arguments: StoreKind.allCases)
    func concurrentCreatesGetDistinctIds(_ kind: StoreKind) async throws {
        guard let store = try await StoreFixtures.make(kind) else { return }
        let site = StoreFixtures.site(hostnames: ["a.example"])
        try await store.createSite(site, users: StoreFixtures.firstUsers(site))
        let ids = try await withThrowingTaskGroup(of: Int.self) { group in
            for i in 0..<20 { group.addTask { try await store.createUser(StoreFixtures.user(site: site, username: "c\(i)")).id } }
            return try await group.reduce(into: [Int]()) { $0.append($1) }
        }
        #expect(Set(ids) == Set(3..<23))
        try await store.close()
    }

    @Test func twoPostgresStoresMigrateAtOnceAndShareData() async throws {
        guard let url = try await StoreFixtures.newPostgresDatabase() else { return }
        let one = try SQLStore.postgres(url: url, logger: StoreFixtures.logger)
        let two = try SQLStore.postgres(url: url, logger: StoreFixtures.logger)
        async let m1 = one.migrate(at: Date())
        async let m2 = two.migrate(at: Date())
        _ = try await (m1, m2)
        let site = StoreFixtures.site(isDefault: true)
        #expect(try await one.bootstrapDefaultSite(site, users: StoreFixtures.firstUsers(site)))
        let erin = try await one.createUser(StoreFixtures.user(site: site, username: "erin"))
        #expect(try await two.user(site: site.id, username: "erin") == erin)
        try await one.close()
        try await two.close()
    }
}

/// Expects the body to fail with `StoreError.conflict`, and nothing else.
func expectConflict(sourceLocation: SourceLocation = #_sourceLocation, _ body: () async throws -> Void) async {
    do {
        try await body()
        Issue.record("expected a conflict, but the change succeeded", sourceLocation: sourceLocation)
    } catch StoreError.conflict {
        // expected
    } catch {
        Issue.record("expected a conflict, got \(error)", sourceLocation: sourceLocation)
    }
}
