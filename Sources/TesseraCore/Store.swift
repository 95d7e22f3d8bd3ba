import Foundation

/// The one storage interface. SQLite (embedded) and PostgreSQL implement it; the contract test suite runs
/// against both. Every method that reads or writes users is scoped to a site.
public protocol Store: Sendable {
    /// Applies pending schema migrations. Safe to call from several instances at once.
    func migrate() async throws
    /// Succeeds when the store answers a trivial query.
    func ping() async throws
    /// Releases connections. The store is unusable afterwards.
    func close() async throws

    /// Creates the default site with its first users (administrator, anonymous) unless a default site
    /// already exists. Atomic across instances. Returns true when this call created it.
    func bootstrapDefaultSite(_ site: Site, users: [User]) async throws -> Bool
    /// Creates a further site with its first users. Throws `StoreError.conflict` when a host name is taken.
    func createSite(_ site: Site, users: [User]) async throws
    func sites() async throws -> [Site]
    func site(id: UUID) async throws -> Site?

    /// Inserts a new user, assigning the next numeric id of its site (the id in `user` is ignored).
    /// Throws `StoreError.conflict` when the username is taken in the site.
    func createUser(_ user: User) async throws -> User
    func user(site: UUID, id: Int) async throws -> User?
    /// Username lookup ignores case, as sign-in does.
    func user(site: UUID, username: String) async throws -> User?
    /// The user with this guid (the CXone user id) in the site.
    func user(site: UUID, guid: UUID) async throws -> User?
    /// Users ordered by id.
    func users(site: UUID, offset: Int, limit: Int) async throws -> [User]
    func userCount(site: UUID) async throws -> Int
    /// Replaces every mutable field of an existing user. Throws `StoreError.notFound` or `.conflict`.
    func updateUser(_ user: User) async throws
    /// Active users whose role is the given one, for the last-administrator rule.
    func activeUserCount(site: UUID, roleName: String) async throws -> Int

    /// Announces every committed change of users, tokens and sites (see `ChangeFeed`).
    var changes: ChangeFeed { get }

    /// Records the master key's fingerprint on first use and returns the one recorded, so an instance started with
    /// a different key can refuse to run.
    func masterKeyFingerprint(proposed: String) async throws -> String

    // Developer tokens

    /// Inserts a token, assigning the next per-site id. Throws `StoreError.conflict` when the key is taken.
    func createDeveloperToken(_ token: DeveloperToken) async throws -> DeveloperToken
    /// Every token of a site, ordered by id.
    func developerTokens(site: UUID) async throws -> [DeveloperToken]
    /// Replaces the mutable fields (name, hosts, restriction, salts). Throws `StoreError.notFound`.
    func updateDeveloperToken(_ token: DeveloperToken) async throws
    /// Returns false when there was no such token.
    func deleteDeveloperToken(site: UUID, id: Int) async throws -> Bool

    /// Changes a site's CXone tenant profile. Throws `StoreError.notFound`.
    func updateTenant(site: UUID, _ tenant: TenantProfile) async throws

    // Signing keys

    /// A site's signing keys, newest first.
    func signingKeys(site: UUID) async throws -> [StoredSigningKey]
    /// Adds a key as the site's newest, but only while the newest key is still `newest` (nil: the site has none):
    /// of several instances rotating at once, one wins. Returns false when another key got there first.
    func addSigningKey(_ key: StoredSigningKey, ifNewestIs newest: String?) async throws -> Bool

    // Access keys

    /// Throws `StoreError.conflict` when the id is taken.
    func createAccessKey(_ key: AccessKey) async throws
    func accessKey(site: UUID, id: String) async throws -> AccessKey?
    /// A page of a site's access keys (optionally one user's), oldest first, and how many there are in all.
    func accessKeys(site: UUID, userID: Int?, offset: Int, limit: Int) async throws -> (keys: [AccessKey], total: Int)
    /// Changes `isActive` and `lastUsedAt`. Throws `StoreError.notFound`.
    func updateAccessKey(_ key: AccessKey) async throws
    func deleteAccessKey(site: UUID, id: String) async throws -> Bool

    // OAuth clients and grants

    /// Throws `StoreError.conflict` when the client id is taken.
    func createApplication(_ application: Application) async throws
    /// Looks a client up by id in every site (a multi-tenant client serves users of other sites).
    func application(clientID: String) async throws -> Application?

    // Application registrations

    /// Throws `StoreError.conflict` when the tracking number is taken.
    func createRegistration(_ registration: AppRegistration) async throws
    /// A site's registrations, oldest first.
    func registrations(site: UUID) async throws -> [AppRegistration]
    func registration(site: UUID, trackingNumber: String) async throws -> AppRegistration?
    /// Saves a registration, inserts `newClients`, copies the registration's runtime fields onto every client it
    /// issued (one transaction), and announces `.applications`. Throws `StoreError.notFound`.
    func updateRegistration(_ registration: AppRegistration, newClients: [Application]) async throws
    /// The clients a registration issued.
    func applications(trackingNumber: String) async throws -> [Application]
    /// Every origin of every enabled client, of every site (CORS on the token endpoints allows their union).
    func registeredOrigins() async throws -> [String]

    // Grants (consent) and device authorizations

    /// Records or refreshes a user's consent to a client.
    func saveGrant(_ grant: Grant) async throws
    func grants(site: UUID, userID: Int) async throws -> [Grant]
    /// Removes a consent and revokes the refresh tokens the client holds for the user; returns their families.
    func deleteGrant(site: UUID, userID: Int, clientID: String) async throws -> (found: Bool, families: [UUID])

    /// Throws `StoreError.conflict` when the user code is taken by a live request.
    func insertDeviceAuthorization(_ authorization: DeviceAuthorization) async throws
    func deviceAuthorization(site: UUID, userCode: String) async throws -> DeviceAuthorization?
    /// Approves or denies a pending request; false when it is not pending (or expired) any more.
    func decideDeviceAuthorization(site: UUID, userCode: String, userID: Int, approve: Bool, at: Date) async throws -> Bool
    /// A client's poll: returns the request, marking an approved one used (so its tokens are issued once).
    func pollDeviceAuthorization(hash: String) async throws -> DeviceAuthorization?

    /// Changes a site's sign-in branding and announces the site change. Throws `StoreError.notFound`.
    func updateBranding(site: UUID, _ branding: SiteBranding) async throws

    func insertRefreshToken(_ token: RefreshToken) async throws
    /// Marks the token used and returns it; a token used before revokes its whole family.
    func consumeRefreshToken(hash: String) async throws -> Consumption<RefreshToken>
    func revokeRefreshFamily(_ family: UUID) async throws

    func insertAuthorizationCode(_ code: AuthorizationCode) async throws
    /// Marks the code used and returns it; a code used before revokes the refresh family issued from it.
    func consumeAuthorizationCode(hash: String) async throws -> Consumption<AuthorizationCode>

    /// Records a client assertion's jti until it expires. Returns false when it was seen before (a replay).
    func recordClientAssertion(clientID: String, jti: String, expiresAt: Date) async throws -> Bool

    /// Looks a refresh token up without spending it: nil unless it exists, is unused and is not revoked.
    func refreshToken(hash: String) async throws -> RefreshToken?

    // Revocation

    /// Records a revocation (idempotent) and announces it; forgets revocations that expired.
    func addRevocation(_ revocation: Revocation) async throws
    func revocations(notExpiredAt epoch: Int64) async throws -> [Revocation]
    func isRevoked(site: UUID, reference: String) async throws -> Bool

    // Legacy tokens and identity providers

    /// Changes a site's legacy-token settings and announces the site change. Throws `StoreError.notFound`.
    func updateLegacyTokens(site: UUID, _ settings: LegacyTokenSettings) async throws
    /// Throws `StoreError.conflict` when the site already trusts this issuer.
    func createIdentityProvider(_ provider: IdentityProvider) async throws
    func identityProviders(site: UUID) async throws -> [IdentityProvider]
    func deleteIdentityProvider(site: UUID, issuer: String) async throws -> Bool

    // Audit

    func appendAudit(_ events: [AuditEvent]) async throws
    /// Newest first.
    func auditEvents(site: UUID, offset: Int, limit: Int) async throws -> [AuditEvent]
}
