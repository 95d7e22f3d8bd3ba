import Foundation

/// A user's consents to clients: recorded on the consent page (and the device page), listed and withdrawn through
/// `users/current/authorizations`. Withdrawing one ends everything the client obtained for the user: every session
/// it holds (refresh tokens and the access tokens issued in them), and the developer tokens and access keys it
/// created through the user's administrative scope.
public final class ConsentService: Sendable {
    private let grants: any GrantStore
    private let developerTokens: any DeveloperTokenStore
    private let accessKeys: any AccessKeyStore
    private let tokens: CXoneTokenService
    private let audit: AuditLog
    private let now: @Sendable () -> Date

    public init(grants: any GrantStore, developerTokens: any DeveloperTokenStore, accessKeys: any AccessKeyStore, tokens: CXoneTokenService,
                audit: AuditLog, now: @escaping @Sendable () -> Date = { Date() }) {
        self.grants = grants
        self.developerTokens = developerTokens
        self.accessKeys = accessKeys
        self.tokens = tokens
        self.audit = audit
        self.now = now
    }

    /// Records (or refreshes) a consent.
    public func record(user: User, clientID: String, clientName: String, scope: String, site: Site) async throws {
        let at = now()
        try await grants.saveGrant(Grant(siteID: site.id, userID: user.id, clientID: clientID, clientName: clientName, scope: scope,
                                         createdAt: at, updatedAt: at))
    }

    /// True when the user consented to every scope of `scope` for this client.
    public func covers(user: User, clientID: String, scope: String, site: Site) async throws -> Bool {
        guard let granted = try await grants.grants(site: site.id, userID: user.id).first(where: { $0.clientID == clientID }) else { return false }
        return Scope.set(scope).isSubset(of: Scope.set(granted.scope))
    }

    public func authorizations(user: User, site: Site) async throws -> [Grant] {
        try await grants.grants(site: site.id, userID: user.id)
    }

    /// Withdraws a user's consent to a client, ending everything the client obtained for the user.
    public func withdraw(user: User, clientID: String, site: Site, clientAddress: String) async throws {
        let found = try await grants.deleteGrant(site: site.id, userID: user.id, clientID: clientID)
        let families = try await grants.revokeRefreshTokens(site: site.id, userID: user.id, clientID: clientID)
        let deletedTokens = try await developerTokens.deleteDeveloperTokens(site: site.id, createdBy: user.id, client: clientID)
        let deletedKeys = try await accessKeys.deleteAccessKeys(site: site.id, createdBy: user.id, client: clientID)
        guard found || !families.isEmpty || !deletedTokens.isEmpty || deletedKeys > 0 else {
            throw ServiceError.notFound("no authorization for client \(clientID.prefix(64))")
        }
        for family in families { try await tokens.endSession(family: family, site: site.id) }
        audit.record(AuditEvent(siteID: site.id, at: now(), action: "consent.revoke", outcome: "success", actorUserID: user.id, tokenID: nil,
                                clientAddress: clientAddress,
                                detail: "client \(clientID.prefix(64)): \(families.count) session(s), \(deletedTokens.count) developer token(s), "
                                    + "\(deletedKeys) access key(s) ended"))
    }
}
