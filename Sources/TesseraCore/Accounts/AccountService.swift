import Foundation
import Logging
import TesseraCrypto

/// Sign-in, auth tokens and user administration. Every rule about who may do what to a user lives here.
public final class AccountService: Sendable {
    private let store: any UserStore
    private let directory: Directory
    private let hasher: PasswordHasher
    private let throttle: LoginThrottle
    private let settings: Settings
    private let logger: Logger
    private let revocations: RevocationList
    /// Refused sign-ins (aggregated per minute, address and account, like every refused credential).
    private let audit: AuditLog?
    private let now: @Sendable () -> Date

    public init(users: any UserStore, directory: Directory, hasher: PasswordHasher, throttle: LoginThrottle, settings: Settings, logger: Logger,
                revocations: RevocationList, audit: AuditLog? = nil, now: @escaping @Sendable () -> Date = { Date() }) {
        self.store = users
        self.audit = audit
        self.revocations = revocations
        self.directory = directory
        self.hasher = hasher
        self.throttle = throttle
        self.settings = settings
        self.logger = logger
        self.now = now
    }

    // MARK: Sign-in and auth tokens

    /// The outcome of a sign-in that succeeded.
    public struct SignIn: Sendable {
        public var user: User
        public var token: AuthToken

        public init(user: User, token: AuthToken) {
            self.user = user
            self.token = token
        }
    }

    /// Verifies a username and password. Failures are slowed down and then refused per account and per
    /// client address; `delay` of a failure is applied here, before the error is thrown.
    public func signIn(site: Site, username: String, password: String, clientAddress: String) async throws -> SignIn {
        let accountKey = "\(site.id.uuidString)|\(Usernames.key(username))"
        try throttle.check(account: accountKey, address: clientAddress)
        guard password.utf8.count <= UserRules.maxPasswordBytes, username.count <= UserRules.maxUsernameLength else {
            throw ServiceError.unauthenticated("authentication failed")
        }
        let found = try await store.user(site: site.id, username: username)
        let candidate = found.flatMap { $0.isAnonymous ? nil : $0 }
        let outcome: (matches: Bool, needsRehash: Bool)
        do {
            outcome = try await hasher.verify(password, against: candidate?.passwordHash)
        } catch {
            throw ServiceError.unavailable("too many sign-ins in progress; try again")
        }
        guard var user = candidate, outcome.matches else {
            // Fixed text only: what was typed as a username may be a password.
            refused(site: site, user: candidate?.id, clientAddress: clientAddress, detail: "sign-in: wrong username or password")
            let delay = throttle.recordFailure(account: accountKey, address: clientAddress)
            if delay > 0 { try? await Task.sleep(for: .milliseconds(Int(delay * 1000))) }
            throw ServiceError.unauthenticated("authentication failed")
        }
        guard user.status == .active, user.role.allows(.login) else {
            refused(site: site, user: user.id, clientAddress: clientAddress, detail: "sign-in: account inactive or without Login")
            throw user.status == .active ? ServiceError.forbidden("login access is required") : ServiceError.forbidden("User '\(user.username)' is disabled")
        }
        throttle.recordSuccess(account: accountKey, address: clientAddress)
        if outcome.needsRehash {
            // Parameters were raised since this hash was made: store a fresh one, keeping the security stamp
            // (the password itself did not change, so existing tokens stay valid).
            if let upgraded = try? await hasher.hash(password) { user.passwordHash = upgraded }
        }
        user.lastLoginAt = now()
        try await store.updateUser(user)
        return SignIn(user: user, token: issueToken(site: site, user: user))
    }

    private func refused(site: Site, user: Int?, clientAddress: String, detail: String) {
        audit?.record(AuditEvent(siteID: site.id, at: now(), action: AuditEvent.refusal, outcome: "refused", actorUserID: user, tokenID: nil,
                                 clientAddress: clientAddress, detail: detail))
    }

    /// Issues an auth token for a user (after sign-in, or after another proof such as a server-token signature).
    public func issueToken(site: Site, user: User) -> AuthToken {
        let expires = Int64(now().timeIntervalSince1970) + settings.authTokenLifetime
        return AuthToken.issue(key: site.authTokenKey, siteID: site.id, userID: user.id, securityStamp: user.securityStamp, expires: expires)
    }

    /// Resolves an auth token to its user. Throws 401 for a token that is malformed, forged, expired or made
    /// before a password change, and 403 for a deactivated user.
    public func user(forAuthToken raw: String, site: Site) async throws -> User {
        guard let token = AuthToken.parse(raw) else { throw ServiceError.unauthenticated("invalid auth token") }
        guard token.expires > Int64(now().timeIntervalSince1970) else { throw ServiceError.unauthenticated("auth token expired") }
        guard let user = try await directory.user(site: site.id, id: token.userID), !user.isAnonymous else {
            throw ServiceError.unauthenticated("invalid auth token")
        }
        // A deactivated user is told so (403) whatever the token; once reactivated, tokens from before the
        // deactivation stay void (the stamp was renewed).
        guard user.status == .active else { throw ServiceError.forbidden("User '\(user.username)' is disabled") }
        guard token.verifies(key: site.authTokenKey, siteID: site.id, securityStamp: user.securityStamp) else {
            throw ServiceError.unauthenticated("invalid auth token")
        }
        guard try await !revocations.isRevoked(site: site.id, Self.revocationReference(token)) else {
            throw ServiceError.unauthenticated("auth token revoked")
        }
        return user
    }

    /// How a revoked auth token is listed: a hash of its MAC, so the list holds nothing that could be replayed.
    static func revocationReference(_ token: AuthToken) -> String {
        Revocation.authToken(mac: Secrets.hex(Secrets.sha256(Array(token.mac.utf8)).prefix(16)))
    }

    /// The anonymous user of a site.
    public func anonymous(site: Site) async throws -> User {
        guard let user = try await directory.user(site: site.id, id: User.anonymousID) else {
            throw ServiceError.unavailable("site has no anonymous user")
        }
        return user
    }

    // MARK: User administration

    public func user(_ reference: UserReference, caller: Caller) async throws -> User {
        try caller.require(.admin)
        return try await find(reference, site: caller.site)
    }

    /// Expert's user search (administrators only: the list of accounts is not for every reader). Returns the page,
    /// how many users match, and how many the site has in all.
    public func searchUsers(_ query: UserQuery, caller: Caller) async throws -> (users: [User], matching: Int, total: Int) {
        try caller.require(.admin)
        guard query.offset >= 0, (0...UserQuery.maxLimit).contains(query.limit) else {
            throw ServiceError.invalidInput("offset must be ≥ 0 and limit 0 to \(UserQuery.maxLimit) (or all)")
        }
        for text in [query.usernamePrefix, query.fullNamePrefix, query.usernameOrEmailPrefix, query.roleName].compactMap(\.self)
        where text.utf8.count > 255 {
            throw ServiceError.invalidInput("a filter is at most 255 bytes")
        }
        var query = query
        if let name = query.roleName {
            // A role that does not exist matches nobody; the store compares the roles' own spelling.
            guard let role = Role.named(name) else { return ([], 0, try await directory.userCount(site: caller.site.id)) }
            query.roleName = role.name
        }
        async let found = store.searchUsers(site: caller.site.id, query: query)
        // The site's count is kept in memory until a user of the site changes; an unfiltered search matches it.
        let total = try await directory.userCount(site: caller.site.id)
        let matching = query.isUnfiltered ? total : try await store.countUsers(site: caller.site.id, query: query)
        return (try await found, matching, total)
    }

    public func createUser(_ fields: UserChanges, caller: Caller) async throws -> User {
        try caller.require(.admin)
        guard let username = fields.username.map(Usernames.normalised) else { throw ServiceError.invalidInput("username is required") }
        try UserRules.validateUsername(username)
        try UserRules.validateEmail(fields.email ?? "")
        try UserRules.validateFullName(fields.fullName ?? "")
        let role = try resolveRole(fields.roleName ?? Role.viewer.name)
        var passwordHash: String?
        if let password = fields.password {
            try caller.requireFirstHand("setting a password")
            try UserRules.validatePassword(password)
            passwordHash = try await hashOrUnavailable(password)
        }
        let draft = User(
            siteID: caller.site.id, id: 0, guid: UUID(), username: username, email: fields.email ?? "",
            fullName: fields.fullName ?? "", status: fields.status ?? .active, hasSeat: fields.hasSeat ?? true,
            roleName: role.name, passwordHash: passwordHash, securityStamp: Secrets.randomHex(16),
            createdAt: now(), lastLoginAt: nil
        )
        do {
            return try await store.createUser(draft)
        } catch StoreError.conflict {
            throw ServiceError.conflict("Username '\(username)' conflicts with an existing user")
        }
    }

    public func updateUser(_ reference: UserReference, changes: UserChanges, caller: Caller) async throws -> User {
        try caller.require(.admin)
        let before = try await find(reference, site: caller.site)
        var user = before
        if user.isAnonymous, changes != UserChanges() {
            throw ServiceError.invalidInput("the anonymous user cannot be changed")
        }
        if let username = changes.username.map(Usernames.normalised), username != user.username {
            try UserRules.validateUsername(username)
            user.username = username
        }
        if let email = changes.email { try UserRules.validateEmail(email); user.email = email }
        if let fullName = changes.fullName { try UserRules.validateFullName(fullName); user.fullName = fullName }
        if let hasSeat = changes.hasSeat { user.hasSeat = hasSeat }
        if let status = changes.status, status != user.status {
            user.status = status
            if status == .inactive {
                // A deactivation ends what was issued before it: auth tokens and sign-in sessions (bound to the stamp),
                // refresh-token families and access tokens (issued before `tokensValidAfter`).
                user.securityStamp = Secrets.randomHex(16)
                user.tokensValidAfter = CXoneTokenService.milliseconds(now()) + 1
            }
        }
        if let roleName = changes.roleName { user.roleName = try resolveRole(roleName).name }
        if let password = changes.password {
            try caller.requireFirstHand("setting a password")
            try UserRules.validatePassword(password)
            user.passwordHash = try await hashOrUnavailable(password)
            // A new stamp invalidates every auth token and sign-in session issued under the old password; access and
            // refresh tokens issued before now are void too. Access keys are separate credentials and keep working.
            user.securityStamp = Secrets.randomHex(16)
            user.tokensValidAfter = CXoneTokenService.milliseconds(now()) + 1
        }
        try await keepAnAdministrator(before: before, after: user)
        do {
            try await store.updateUser(user)
        } catch StoreError.conflict {
            throw ServiceError.conflict("Username '\(user.username)' conflicts with an existing user")
        } catch StoreError.notFound {
            throw ServiceError.notFound("user not found")
        }
        return user
    }

    /// Refuses a change that would leave the site without an active administrator.
    private func keepAnAdministrator(before: User, after: User) async throws {
        let wasAdmin = before.status == .active && before.role.allows(.admin)
        let staysAdmin = after.status == .active && after.role.allows(.admin)
        guard wasAdmin, !staysAdmin else { return }
        let admins = try await store.activeUserCount(site: before.siteID, roleName: Role.admin.name)
        if admins <= 1 {
            throw ServiceError.conflict("the last active administrator cannot be deactivated or lose the Admin role")
        }
    }

    private func find(_ reference: UserReference, site: Site) async throws -> User {
        let found: User?
        switch reference {
        case .id(let id): found = try await store.user(site: site.id, id: id)
        case .username(let name): found = try await store.user(site: site.id, username: name)
        }
        guard let found else { throw ServiceError.notFound("user not found") }
        return found
    }

    private func resolveRole(_ name: String) throws(ServiceError) -> Role {
        guard let role = Role.named(name), role != .anonymous else {
            throw .invalidInput("unknown role '\(name)'; roles are Admin, Contributor, Viewer")
        }
        return role
    }

    private func hashOrUnavailable(_ password: String) async throws -> String {
        do { return try await hasher.hash(password) } catch {
            throw ServiceError.unavailable("too many password operations in progress; try again")
        }
    }
}
