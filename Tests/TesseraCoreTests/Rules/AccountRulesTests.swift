import Foundation
import Testing
import TesseraCore
import TesseraCrypto
import TesseraTestSupport

/// Who may change users, the last-administrator guard, sign-in and its throttle as the clock moves. On both stores.
@Suite struct AccountRulesTests {
    @Test(arguments: StoreKind.allCases)
    func theLastAdministratorStays(_ kind: StoreKind) async throws {
        guard let w = try await World.make(kind) else { return }
        let accounts = w.services.accounts
        await World.expectRefusal(\.isConflict) {
            _ = try await accounts.updateUser(.id(w.admin.id), changes: UserChanges(roleName: "Viewer"), caller: w.adminCaller)
        }
        await World.expectRefusal(\.isConflict) {
            _ = try await accounts.updateUser(.id(w.admin.id), changes: UserChanges(status: .inactive), caller: w.adminCaller)
        }
        let second = try await w.user("second", role: .admin)
        _ = try await accounts.updateUser(.id(w.admin.id), changes: UserChanges(roleName: "Viewer"), caller: w.adminCaller)
        await World.expectRefusal(\.isConflict) {
            _ = try await accounts.updateUser(.id(second.id), changes: UserChanges(status: .inactive),
                                              caller: Caller(site: w.site, user: second, kind: .authToken))
        }
        try await w.close()
    }

    @Test(arguments: StoreKind.allCases)
    func onlyAdministratorsAdministerUsersAndNamesAreUnique(_ kind: StoreKind) async throws {
        guard let w = try await World.make(kind) else { return }
        let accounts = w.services.accounts
        let bob = try await w.user("bob")
        let asBob = Caller(site: w.site, user: bob, kind: .authToken)
        await World.expectRefusal(\.isForbidden) { _ = try await accounts.createUser(UserChanges(username: "x"), caller: asBob) }
        await World.expectRefusal(\.isForbidden) { _ = try await accounts.searchUsers(UserQuery(), caller: asBob) }
        await World.expectRefusal(\.isConflict) { _ = try await w.user("BOB") }
        let anonymous = try await accounts.anonymous(site: w.site)
        await World.expectRefusal(\.isUnauthenticated) {
            _ = try await accounts.searchUsers(UserQuery(), caller: Caller(site: w.site, user: anonymous, kind: .anonymous))
        }
        try await w.close()
    }

    /// The search's counts: the site's total is kept in memory and follows a new user; a role matches in any case,
    /// and an unknown role matches nobody.
    @Test(arguments: StoreKind.allCases)
    func theUserSearchCountsAndMatchesRolesInAnyCase(_ kind: StoreKind) async throws {
        guard let w = try await World.make(kind) else { return }
        _ = try await w.user("zed", role: .contributor)
        var query = UserQuery()
        query.roleName = "CONTRIBUTOR"
        var found = try await w.services.accounts.searchUsers(query, caller: w.adminCaller)
        #expect(found.users.map(\.username) == ["zed"] && found.matching == 1 && found.total == 3)
        query.roleName = "Nobody"
        found = try await w.services.accounts.searchUsers(query, caller: w.adminCaller)
        #expect(found.users.isEmpty && found.matching == 0 && found.total == 3)
        _ = try await w.user("amy")
        found = try await w.services.accounts.searchUsers(UserQuery(), caller: w.adminCaller)
        #expect(found.users.count == 4 && found.matching == 4 && found.total == 4)
        try await w.close()
    }

    @Test(arguments: StoreKind.allCases)
    func signInIsThrottledAndForgivenAsTheClockMoves(_ kind: StoreKind) async throws {
        guard let w = try await World.make(kind) else { return }
        let accounts = w.services.accounts
        _ = try await w.user("bob", password: "bobs-password-1")
        let signedIn = try await accounts.signIn(site: w.site, username: "bob", password: "bobs-password-1", clientAddress: "198.51.100.1")
        #expect(signedIn.user.lastLoginAt == w.clock.now)
        for _ in 0..<10 {
            await World.expectRefusal(\.isUnauthenticated) {
                _ = try await accounts.signIn(site: w.site, username: "bob", password: "wrong-password", clientAddress: "198.51.100.1")
            }
        }
        await World.expectRefusal(\.isThrottled) {
            _ = try await accounts.signIn(site: w.site, username: "bob", password: "bobs-password-1", clientAddress: "198.51.100.1")
        }
        w.clock.advance(by: 15 * 60 + 1)
        #expect(try await accounts.signIn(site: w.site, username: "bob", password: "bobs-password-1", clientAddress: "198.51.100.1").user.username
                == "bob")
        // A deactivated user cannot sign in, even with the right password.
        let bob = try #require(try await w.store.user(site: w.site.id, username: "bob"))
        _ = try await accounts.updateUser(.id(bob.id), changes: UserChanges(status: .inactive), caller: w.adminCaller)
        await World.expectRefusal(\.isForbidden) {
            _ = try await accounts.signIn(site: w.site, username: "bob", password: "bobs-password-1", clientAddress: "198.51.100.2")
        }
        try await w.close()
    }
}
