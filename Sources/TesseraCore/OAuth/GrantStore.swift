import Foundation

/// What a user's authorization of a client leaves behind: consents, refresh-token families, authorization codes,
/// device requests, and the client assertions already seen. Records only: the rules (rotation, reuse, expiry) live
/// in the services, which pass in the time.
public protocol GrantStore: Sendable {
    /// Records or refreshes a user's consent to a client.
    func saveGrant(_ grant: Grant) async throws
    func grants(site: UUID, userID: Int) async throws -> [Grant]
    /// Removes a consent; false when there was none.
    func deleteGrant(site: UUID, userID: Int, clientID: String) async throws -> Bool

    func insertRefreshToken(_ token: RefreshToken) async throws
    /// Marks the token spent at `at` unless it already was, atomically, and says which it was.
    func spendRefreshToken(hash: String, at: Date) async throws -> SpendOutcome<RefreshToken>
    /// Spends a token and stores its successor in one transaction: the successor is stored only when the token was
    /// spent now, and a spent token always has its successor stored (a crash between the two cannot strand a
    /// session).
    func rotateRefreshToken(spending hash: String, at: Date, successor: RefreshToken) async throws -> SpendOutcome<RefreshToken>
    /// A token that is neither spent nor revoked, without spending it.
    func refreshToken(hash: String) async throws -> RefreshToken?
    /// Revokes every refresh token of a family.
    func revokeRefreshFamily(_ family: UUID) async throws
    /// Revokes the refresh tokens a client holds for a user, and forgets the codes issued to it for the user that
    /// are not redeemed yet; returns the families that had live tokens.
    func revokeRefreshTokens(site: UUID, userID: Int, clientID: String) async throws -> [UUID]
    /// Revokes the refresh tokens of the sessions a sign-in session started (logout), and forgets the codes issued
    /// in it that are not redeemed yet; returns the families.
    func revokeRefreshTokens(signInSession: String) async throws -> [(site: UUID, family: UUID)]

    func insertAuthorizationCode(_ code: AuthorizationCode) async throws
    /// Marks the code spent at `at` unless it already was, atomically, and says which it was.
    func spendAuthorizationCode(hash: String, at: Date) async throws -> SpendOutcome<AuthorizationCode>

    /// Throws `StoreError.conflict` when the user code is taken by a live request. Forgets requests that expired
    /// before the new one's creation.
    func insertDeviceAuthorization(_ authorization: DeviceAuthorization) async throws
    func deviceAuthorization(site: UUID, userCode: String) async throws -> DeviceAuthorization?
    /// Approves or denies a pending request that has not expired at `at`; false when it is not pending any more.
    func decideDeviceAuthorization(site: UUID, userCode: String, userID: Int, approve: Bool, at: Date) async throws -> Bool
    /// A client's poll: returns the request, marking an approved one used (so its tokens are issued once).
    func pollDeviceAuthorization(hash: String) async throws -> DeviceAuthorization?

    /// Forgets codes, device requests, refresh tokens and client-assertion ids that expired before the time;
    /// returns how many rows went.
    func forgetExpiredGrants(before: Date) async throws -> Int

    /// Records a client assertion's jti until it expires, forgetting those expired at `now`. Returns false when it
    /// was seen before (a replay).
    func recordClientAssertion(clientID: String, jti: String, expiresAt: Date, now: Date) async throws -> Bool
}
