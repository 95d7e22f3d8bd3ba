import Foundation

/// A user's consents to clients: recorded on the consent page (and the device page), listed and withdrawn through
/// `users/current/authorizations`. Withdrawing one ends every session the client holds for the user.
public final class ConsentService: Sendable {
    private let grants: any GrantStore
    private let tokens: CXoneTokenService
    private let audit: AuditLog
    private let now: @Sendable () -> Date

    public init(grants: any GrantStore, tokens: CXoneTokenService, audit: AuditLog, now: @escaping @Sendable () -> Date = { Date() }) {
        self.grants = grants
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
        let given = Set(granted.scope.split(separator: " "))
        return scope.split(separator: " ").allSatisfy(given.contains)
    }

    public func authorizations(user: User, site: Site) async throws -> [Grant] {
        try await grants.grants(site: site.id, userID: user.id)
    }

    /// Withdraws a user's consent: the client's refresh tokens for the user die, and so do their access tokens.
    public func withdraw(user: User, clientID: String, site: Site, clientAddress: String) async throws {
        let found = try await grants.deleteGrant(site: site.id, userID: user.id, clientID: clientID)
        let families = try await grants.revokeRefreshTokens(site: site.id, userID: user.id, clientID: clientID)
        guard found || !families.isEmpty else { throw ServiceError.notFound("no authorization for client \(clientID.prefix(64))") }
        for family in families { try await tokens.endSession(family: family, site: site.id) }
        audit.record(AuditEvent(siteID: site.id, at: now(), action: "consent.revoke", outcome: "success", actorUserID: user.id, tokenID: nil,
                                clientAddress: clientAddress, detail: "client \(clientID.prefix(64)), \(families.count) session(s)"))
    }
}
