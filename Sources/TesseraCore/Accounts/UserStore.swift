import Foundation

/// The users of every site, each scoped to its site.
public protocol UserStore: Sendable {
    /// Inserts a new user, assigning the next numeric id of its site (the id in `user` is ignored).
    /// Throws `StoreError.conflict` when the username is taken in the site.
    func createUser(_ user: User) async throws -> User
    func user(site: UUID, id: Int) async throws -> User?
    /// Username lookup ignores case, as sign-in does.
    func user(site: UUID, username: String) async throws -> User?
    /// The user with this guid (the CXone user id) in the site.
    func user(site: UUID, guid: UUID) async throws -> User?
    func userCount(site: UUID) async throws -> Int
    /// The page of users a search asks for.
    func searchUsers(site: UUID, query: UserQuery) async throws -> [User]
    /// How many users match a search, whatever its page.
    func countUsers(site: UUID, query: UserQuery) async throws -> Int
    /// Replaces every mutable field of an existing user. Throws `StoreError.notFound` or `.conflict`.
    func updateUser(_ user: User) async throws
    /// Active users whose role is the given one.
    func activeUserCount(site: UUID, roleName: String) async throws -> Int
}
