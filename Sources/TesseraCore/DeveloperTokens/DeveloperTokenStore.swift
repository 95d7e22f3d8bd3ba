import Foundation

/// The developer tokens of every site.
public protocol DeveloperTokenStore: Sendable {
    /// Inserts a token, assigning the next per-site id. Throws `StoreError.conflict` when the key is taken.
    func createDeveloperToken(_ token: DeveloperToken) async throws -> DeveloperToken
    /// Every token of a site, ordered by id.
    func developerTokens(site: UUID) async throws -> [DeveloperToken]
    /// One page of a site's tokens, newest (highest id) first.
    func developerTokens(site: UUID, newestFirstFrom offset: Int, limit: Int) async throws -> [DeveloperToken]
    /// Every token of one type of a site, ordered by id.
    func developerTokens(site: UUID, type: DeveloperTokenType) async throws -> [DeveloperToken]
    /// How many tokens a site has.
    func developerTokenCount(site: UUID) async throws -> Int
    /// One token of a site, or nil.
    func developerToken(site: UUID, id: Int) async throws -> DeveloperToken?
    /// The site's token with this key, or nil.
    func developerToken(site: UUID, key: String) async throws -> DeveloperToken?
    /// Replaces the mutable fields (name, hosts, restriction, salts) of a token whose salts are still those of
    /// `previous` (as read before the change). False when no token has that id and those salts: it was deleted, or a
    /// concurrent change gave it a new JWT or took its JWT away, which this write must not undo.
    func updateDeveloperToken(_ token: DeveloperToken, ifSaltsOf previous: DeveloperToken) async throws -> Bool
    /// Takes away a token's long-term JWT if it still has the one with this salt; says whether it did.
    func revokeLongTermJWT(site: UUID, id: Int, salt: String) async throws -> Bool
    /// Returns false when there was no such token.
    func deleteDeveloperToken(site: UUID, id: Int) async throws -> Bool
    /// Deletes the tokens a user created through an application's token; returns their ids.
    func deleteDeveloperTokens(site: UUID, createdBy user: Int, client: String) async throws -> [Int]
}
