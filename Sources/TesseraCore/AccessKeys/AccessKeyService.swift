import Foundation
import TesseraCrypto

/// CXone access keys: creation (the secret shown once), listing, activation, deletion, and the exchange of a key
/// for tokens. "My Access Key" covers one's own keys, "Access Key" everyone's.
public final class AccessKeyService: Sendable {
    private let store: any AccessKeyStore
    private let users: any UserStore
    private let directory: Directory
    private let tokens: CXoneTokenService
    private let masterKey: MasterKey
    private let audit: AuditLog
    private let now: @Sendable () -> Date
    /// How stale a key's "last used" may be: 60 s.
    public static let lastUseResolution: TimeInterval = 60

    public init(store: any AccessKeyStore, users: any UserStore, directory: Directory, tokens: CXoneTokenService, masterKey: MasterKey, audit: AuditLog,
                now: @escaping @Sendable () -> Date = { Date() }) {
        self.store = store
        self.users = users
        self.directory = directory
        self.tokens = tokens
        self.masterKey = masterKey
        self.audit = audit
        self.now = now
    }

    /// A new key and its secret: the only time the secret exists outside the caller's hands.
    public struct Created: Sendable {
        public var key: AccessKey
        public var secret: String
    }

    /// 32 random bytes as upper-case base32: 56 characters ending in `====`, the shape of CXone's keys.
    static func newKeyText() -> String { Base32.encode(Secrets.randomBytes(32)) }

    func secretHash(_ secret: String) -> String {
        Secrets.hex(masterKey.derive256("access-key-secret", secret))
    }

    /// The user a request names by CXone user id (the user's guid), in the caller's site.
    public func user(guid text: String, site: Site) async throws -> User {
        guard let guid = UUID(uuidString: text) else { throw ServiceError.invalidInput("userId must be a user's UUID") }
        guard let user = try await users.user(site: site.id, guid: guid) else { throw ServiceError.notFound("no user \(guid.lowercasedString) in this tenant") }
        return user
    }

    /// May the caller manage this user's keys? Their own with "My Access Key" (or "Access Key"), anyone's with
    /// "Access Key"; an application's token only with the administrative scope.
    public func authorize(_ caller: Caller, for user: User) throws(ServiceError) {
        if caller.user.id == user.id {
            try caller.require(anyOf: [.myAccessKey, .accessKey])
        } else {
            do { try caller.require(.accessKey) } catch .forbidden {
                throw .forbidden("the Access Key permission is required to manage another user's keys")
            }
        }
    }

    public func create(for user: User, caller: Caller, clientAddress: String) async throws -> Created {
        try authorize(caller, for: user)
        guard !user.isAnonymous else { throw ServiceError.invalidInput("the anonymous user cannot have access keys") }
        let secret = Self.newKeyText()
        let key = AccessKey(siteID: caller.site.id, id: Self.newKeyText(), userID: user.id, secretHash: secretHash(secret), isActive: true,
                            createdAt: now(), lastUsedAt: nil, createdBy: caller.user.id, createdByClient: caller.clientID)
        try await store.createAccessKey(key)
        record("access-key.create", caller: caller, key: key, clientAddress: clientAddress)
        return Created(key: key, secret: secret)
    }

    /// A key the caller may see; 404 for keys of other sites or unknown ids.
    public func key(_ id: String, caller: Caller) async throws -> AccessKey {
        guard id.utf8.count <= 128, let key = try await store.accessKey(site: caller.site.id, id: id) else {
            throw ServiceError.notFound("no such access key")
        }
        guard let owner = try await directory.user(site: caller.site.id, id: key.userID) else { throw ServiceError.notFound("no such access key") }
        try authorize(caller, for: owner)
        return key
    }

    /// A page of keys: everyone's for "Access Key", else only the caller's own.
    public func list(caller: Caller, user: User?, offset: Int, limit: Int) async throws -> (keys: [AccessKey], total: Int) {
        if let user {
            try authorize(caller, for: user)
            return try await store.accessKeys(site: caller.site.id, userID: user.id, offset: offset, limit: limit)
        }
        try caller.require(anyOf: [.myAccessKey, .accessKey])
        if caller.user.can(.accessKey) { return try await store.accessKeys(site: caller.site.id, userID: nil, offset: offset, limit: limit) }
        return try await store.accessKeys(site: caller.site.id, userID: caller.user.id, offset: offset, limit: limit)
    }

    public func setActive(_ id: String, active: Bool, caller: Caller, clientAddress: String) async throws -> AccessKey {
        var key = try await key(id, caller: caller)
        key.isActive = active
        try await store.setAccessKeyActive(site: key.siteID, id: key.id, active: active)
        record(active ? "access-key.activate" : "access-key.deactivate", caller: caller, key: key, clientAddress: clientAddress)
        return key
    }

    public func delete(_ id: String, caller: Caller, clientAddress: String) async throws {
        let key = try await key(id, caller: caller)
        guard try await store.deleteAccessKey(site: caller.site.id, id: key.id) else { throw ServiceError.notFound("no such access key") }
        record("access-key.delete", caller: caller, key: key, clientAddress: clientAddress)
    }

    /// The user an access key and secret stand for: the key must exist in this site, be active, match the secret
    /// (keyed hash, constant-time) and belong to an active user. Every failure is the same `invalid_grant`.
    public func authenticate(id: String, secret: String, site: Site, clientAddress: String) async throws(OAuthError) -> User {
        let refused = OAuthError.invalidGrant("invalid access key")
        guard !id.isEmpty, id.utf8.count <= 128, !secret.isEmpty, secret.utf8.count <= 256 else { throw refused }
        do {
            let presented = Array(secretHash(secret).utf8)
            guard let key = try await directory.accessKey(site: site.id, id: id) else {
                audit.record(AuditEvent(siteID: site.id, action: "credential.refused", outcome: "refused", actorUserID: nil, tokenID: nil,
                                        clientAddress: clientAddress, detail: "access key: unknown key"))
                throw refused
            }
            guard Secrets.constantTimeEqual(presented, Array(key.secretHash.utf8)), key.isActive,
                  let user = try await directory.user(site: site.id, id: key.userID), user.status == .active, !user.isAnonymous
            else {
                audit.record(AuditEvent(siteID: site.id, action: "credential.refused", outcome: "refused", actorUserID: key.userID, tokenID: nil,
                                        clientAddress: clientAddress, detail: "access key: wrong secret, inactive key or inactive user"))
                throw refused
            }
            // "Last used" is kept to the minute: a key exchanged many times a second costs one write a minute, not a
            // durable write per token answer. The write touches only that column and only on an active key: it never
            // revives a key deactivated since it was read, and when it finds none the exchange is refused. (Between
            // two writes, a deactivation that lands while an exchange is in flight is seen by the next exchange.)
            // A recorded time ahead of this clock (another instance's) is written over too.
            let time = now()
            if key.lastUsedAt.map({ time.timeIntervalSince($0) >= Self.lastUseResolution || $0 > time }) ?? true {
                guard try await store.markAccessKeyUsed(site: site.id, id: key.id, at: time) else {
                    audit.record(AuditEvent(siteID: site.id, action: "credential.refused", outcome: "refused", actorUserID: key.userID, tokenID: nil,
                                            clientAddress: clientAddress, detail: "access key: deactivated or deleted while in use"))
                    throw refused
                }
            }
            return user
        } catch let error as OAuthError {
            throw error
        } catch {
            throw OAuthError.serverError(error)
        }
    }

    /// `/authentication/v1/token/access-key`: tokens for an access key, with no client involved.
    public func exchange(id: String, secret: String, site: Site, clientAddress: String) async throws(OAuthError) -> IssuedTokens {
        let user = try await authenticate(id: id, secret: secret, site: site, clientAddress: clientAddress)
        do { return try await tokens.issue(user: user, site: site, clientID: nil, firstHand: true) } catch { throw OAuthError.serverError(error) }
    }

    private func record(_ action: String, caller: Caller, key: AccessKey, clientAddress: String) {
        // The key id is public (it names the key in every API call); the secret never reaches the audit log.
        audit.record(AuditEvent(siteID: caller.site.id, action: action, outcome: "success", actorUserID: caller.user.id, tokenID: nil,
                                clientAddress: clientAddress, detail: "access key \(key.id.prefix(8))… of user \(key.userID)"))
    }
}
