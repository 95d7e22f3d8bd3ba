import Foundation
import Logging
import TesseraCrypto

/// Expert's legacy tokens, for integrations that cannot move yet: the site API key (`apikey` query parameter or
/// `X-ApiKey` header, acting as the user named by `impersonateuserid`) and the impersonation auth token
/// `imp_{epoch}_{md5}_{user}`, valid for 60 s. Both are weak (a long-lived shared key sent in URLs, MD5), so a site
/// accepts neither until an administrator turns them on, and turning them on is said loudly: in the audit trail,
/// the server log and the site's settings document.
public final class LegacyTokenService: Sendable {
    public static let warning = "legacy tokens are weak: a site API key is a long-lived shared secret sent in URLs and headers, "
        + "and impersonation tokens are MD5 hashes of it that let their holder act as any user; use server tokens, long-term JWTs or OAuth instead"
    /// How old an impersonation token may be (seconds); Tessera also refuses one dated more than this ahead.
    public static let impersonationWindow: Int64 = 60

    private let store: any SiteStore
    private let directory: Directory
    private let masterKey: MasterKey
    private let audit: AuditLog
    private let logger: Logger
    private let now: @Sendable () -> Date

    public init(store: any SiteStore, directory: Directory, masterKey: MasterKey, audit: AuditLog, logger: Logger,
                now: @escaping @Sendable () -> Date = { Date() }) {
        self.store = store
        self.directory = directory
        self.masterKey = masterKey
        self.audit = audit
        self.logger = logger
        self.now = now
    }

    private func sealKey(_ site: UUID) -> [UInt8] { masterKey.derive256("legacy-api-key", site.lowercasedString) }

    /// The site API key, when legacy tokens are on.
    func apiKey(of site: Site) -> String? {
        guard site.legacyTokens.enabled, let sealed = site.legacyTokens.sealedAPIKey, let plain = Seal.open(sealed, key: sealKey(site.id)) else {
            return nil
        }
        return String(decoding: plain, as: UTF8.self)
    }

    // MARK: Settings

    /// Turns legacy tokens on or off. Turning them on keeps the existing API key unless `apiKey` gives one (to keep
    /// an integration's key when moving it here); without either, a key is generated and returned, this once.
    public func configure(site: Site, enabled: Bool, apiKey: String?, actorUserID: Int?, clientAddress: String) async throws -> String? {
        var settings = site.legacyTokens
        var generated: String?
        settings.enabled = enabled
        if let apiKey {
            guard (8...128).contains(apiKey.utf8.count), apiKey.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7F }) else {
                throw ServiceError.invalidInput("apiKey must be 8 to 128 visible ASCII characters")
            }
            settings.sealedAPIKey = try Seal.seal(Array(apiKey.utf8), key: sealKey(site.id))
        } else if enabled, settings.sealedAPIKey == nil {
            let key = Secrets.randomHex(24)
            settings.sealedAPIKey = try Seal.seal(Array(key.utf8), key: sealKey(site.id))
            generated = key
        }
        do { try await store.updateLegacyTokens(site: site.id, settings) } catch StoreError.notFound {
            throw ServiceError.notFound("no such site")
        }
        let detail = enabled ? "legacy tokens enabled (\(apiKey != nil ? "API key given" : generated != nil ? "API key generated" : "API key kept")); "
            + Self.warning : "legacy tokens disabled"
        audit.record(AuditEvent(siteID: site.id, action: enabled ? "site.legacy-tokens.enable" : "site.legacy-tokens.disable", outcome: "success",
                                actorUserID: actorUserID, tokenID: nil, clientAddress: clientAddress, detail: detail))
        if enabled { warn(site) } else { logger.notice("legacy tokens disabled", metadata: ["site": "\(site.id.lowercasedString)"]) }
        return generated
    }

    /// Says in the server log that a site accepts legacy tokens (when they are turned on, and at every start).
    public func warn(_ site: Site) {
        logger.warning("legacy tokens are ON for this site; \(Self.warning)", metadata: ["site": "\(site.id.lowercasedString)"])
    }

    // MARK: Verifying

    private func requireEnabled(_ site: Site) throws(ServiceError) -> String {
        guard site.legacyTokens.enabled else { throw .forbidden("legacy tokens are disabled on this site") }
        guard let key = apiKey(of: site) else { throw .forbidden("legacy tokens have no API key on this site") }
        return key
    }

    /// A request with the site API key acts as the user `impersonateuserid` names (a numeric id or `=username`).
    public func userForAPIKey(_ presented: String, impersonate: String?, site: Site) async throws -> User {
        let key = try requireEnabled(site)
        guard presented.utf8.count <= 256, Secrets.constantTimeEqual(Array(presented.utf8), Array(key.utf8)) else {
            throw ServiceError.forbidden("invalid site API key")
        }
        guard let impersonate, !impersonate.isEmpty else {
            throw ServiceError.invalidInput("a site API key acts only as the user named by impersonateuserid")
        }
        guard let reference = UserReference.parse(impersonate) else { throw ServiceError.invalidInput("impersonateuserid must be a user id or =username") }
        return try await activeUser(reference, site: site)
    }

    /// Resolves an impersonation auth token: its hash under the site API key, dated within the last 60 s.
    public func userForImpersonationToken(_ raw: String, site: Site) async throws -> User {
        let key = try requireEnabled(site)
        guard let token = ImpersonationToken.parse(raw) else { throw ServiceError.unauthenticated("malformed impersonation token") }
        guard token.verifies(apiKey: key) else { throw ServiceError.unauthenticated("invalid impersonation token") }
        let epoch = Int64(now().timeIntervalSince1970)
        guard token.epoch >= epoch - Self.impersonationWindow, token.epoch <= epoch + Self.impersonationWindow else {
            throw ServiceError.unauthenticated("impersonation token expired (it is valid for 60 seconds)")
        }
        guard let reference = UserReference.parse(token.user) else { throw ServiceError.unauthenticated("malformed impersonation token") }
        return try await activeUser(reference, site: site)
    }

    private func activeUser(_ reference: UserReference, site: Site) async throws -> User {
        let found: User?
        switch reference {
        case .id(let id): found = try await directory.user(site: site.id, id: id)
        case .username(let name): found = try await directory.user(site: site.id, username: name)
        }
        guard let user = found, !user.isAnonymous else { throw ServiceError.forbidden("the impersonated user does not exist") }
        guard user.status == .active else { throw ServiceError.forbidden("User '\(user.username)' is disabled") }
        return user
    }
}
