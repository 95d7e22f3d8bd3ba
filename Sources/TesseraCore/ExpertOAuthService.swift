import Foundation
import TesseraCrypto

/// What `device.json` answers (RFC 8628 §3.2).
public struct DeviceStart: Sendable {
    public var deviceCode: String
    /// As shown to the person: `XXXX-XXXX`.
    public var userCode: String
    public var expiresIn: Int64
    public var interval: Int64
}

/// Expert's OAuth API tokens (seed 002, reference §6): an `oauth` developer token is the client (key = client_id,
/// secret = client_secret), `access.json` answers the code, refresh and device-code grants, `device.json` starts
/// the device flow, and a user can list and revoke the applications they authorized.
public final class ExpertOAuthService: Sendable {
    public static let deviceCodeGrant = "urn:ietf:params:oauth:grant-type:device_code"
    /// Device requests live ten minutes; clients poll every five seconds.
    public static let deviceLifetime: Int64 = 600
    public static let pollInterval: Int64 = 5
    /// No vowels (no words), no look-alikes: RFC 8628 §6.1.
    static let userCodeAlphabet = Array("BCDFGHJKLMNPQRSTVWXZ")

    private let store: any Store
    private let directory: Directory
    private let oauth: OAuthService
    private let tokens: CXoneTokenService
    private let introspection: IntrospectionService
    private let audit: AuditLog
    private let now: @Sendable () -> Date

    public init(store: any Store, directory: Directory, oauth: OAuthService, tokens: CXoneTokenService, introspection: IntrospectionService,
                audit: AuditLog, now: @escaping @Sendable () -> Date = { Date() }) {
        self.store = store
        self.directory = directory
        self.oauth = oauth
        self.tokens = tokens
        self.introspection = introspection
        self.audit = audit
        self.now = now
    }

    /// The developer token a request authenticates as (Basic or client_secret_post with the token's key and secret).
    private func client(_ request: TokenRequest, site: Site) async throws(OAuthError) -> DeveloperToken {
        guard case .developerToken(let token) = try await introspection.authenticate(request, site: site) else {
            throw .invalidClient("authenticate with an OAuth API token's key and secret", basic: request.basic != nil)
        }
        return token
    }

    /// `access.json`.
    public func token(_ request: TokenRequest, site: Site) async throws(OAuthError) -> IssuedTokens {
        let p = request.parameters
        guard let grant = p["grant_type"], !grant.isEmpty else { throw .invalidRequest("grant_type is required") }
        let token = try await client(request, site: site)
        let client = AuthorizeService.client(of: token)
        switch grant {
        case "authorization_code":
            guard let code = p["code"], !code.isEmpty, code.utf8.count <= 512 else { throw .invalidRequest("code is required") }
            guard let redirectURI = p["redirect_uri"] else { throw .invalidRequest("redirect_uri is required") }
            return try await oauth.redeemCode(code, redirectURI: redirectURI, verifier: p["code_verifier"], client: client, site: site)
        case "refresh_token":
            guard let raw = p["refresh_token"], !raw.isEmpty else { throw .invalidRequest("refresh_token is required") }
            return try await tokens.refresh(raw, site: site, client: client)
        case Self.deviceCodeGrant:
            return try await deviceGrant(p["device_code"], client: client, site: site)
        default:
            throw .unsupportedGrantType("grant_type \(grant.prefix(100)) is not supported")
        }
    }

    // MARK: Device flow

    public func startDevice(_ request: TokenRequest, site: Site) async throws(OAuthError) -> DeviceStart {
        let token = try await client(request, site: site)
        let asked = (request.parameters["scope"] ?? "profile").split(separator: " ").map(String.init)
        guard !asked.isEmpty, asked.allSatisfy(AuthorizeService.expertScopes.contains) else {
            throw OAuthError(code: "invalid_scope", description: "scope may contain profile and seated")
        }
        let scope = AuthorizeService.expertScopes.sorted().filter(asked.contains).joined(separator: " ")
        let deviceCode = Base64URL.encode(Secrets.randomBytes(32))
        let created = now()
        for attempt in 1...5 {
            let userCode = String((0..<8).map { _ in Self.userCodeAlphabet.randomElement()! })
            do {
                try await store.insertDeviceAuthorization(DeviceAuthorization(
                    deviceCodeHash: tokens.refreshHash(deviceCode), userCode: userCode, siteID: site.id, clientID: token.key, scope: scope,
                    status: .pending, userID: nil, createdAt: created, expiresAt: created.addingTimeInterval(TimeInterval(Self.deviceLifetime))))
                return DeviceStart(deviceCode: deviceCode, userCode: Self.display(userCode), expiresIn: Self.deviceLifetime, interval: Self.pollInterval)
            } catch StoreError.conflict where attempt < 5 {
                continue
            } catch {
                throw .serverError(error)
            }
        }
        throw .serverError(ServiceError.unavailable("no free user code"))
    }

    /// `ABCD-EFGH`.
    static func display(_ code: String) -> String { String(code.prefix(4)) + "-" + String(code.dropFirst(4)) }

    /// What a person typed, normalised: letters only, upper case; nil when it cannot be a user code.
    public static func normaliseUserCode(_ typed: String) -> String? {
        let letters = typed.uppercased().filter { $0 != "-" && $0 != " " }
        guard letters.count == 8, letters.allSatisfy(userCodeAlphabet.contains) else { return nil }
        return letters
    }

    /// The pending request a user code names, with the client's name, for the approval page.
    public func pendingDevice(userCode: String, site: Site) async throws -> (DeviceAuthorization, clientName: String)? {
        guard let code = Self.normaliseUserCode(userCode), let found = try await store.deviceAuthorization(site: site.id, userCode: code),
              found.status == .pending, found.expiresAt > now(),
              let token = try await directory.developerToken(site: site.id, key: found.clientID)
        else { return nil }
        return (found, token.name)
    }

    /// The signed-in user approves or denies; false when the request is no longer pending.
    public func decideDevice(userCode: String, user: User, approve: Bool, site: Site, clientAddress: String) async throws -> Bool {
        guard let (pending, name) = try await pendingDevice(userCode: userCode, site: site) else { return false }
        if approve, pending.scope.split(separator: " ").contains("seated"), !user.hasSeat {
            throw ServiceError.forbidden("the seated scope needs a user with a seat")
        }
        guard try await store.decideDeviceAuthorization(site: site.id, userCode: pending.userCode, userID: user.id, approve: approve, at: now()) else {
            return false
        }
        if approve {
            let at = now()
            try await store.saveGrant(Grant(siteID: site.id, userID: user.id, clientID: pending.clientID, clientName: name, scope: pending.scope,
                                            createdAt: at, updatedAt: at))
        }
        audit.record(AuditEvent(siteID: site.id, action: approve ? "consent.grant" : "consent.deny", outcome: approve ? "success" : "refused",
                                actorUserID: user.id, tokenID: nil, clientAddress: clientAddress, detail: "device flow, client \(pending.clientID)"))
        return true
    }

    /// Polling: 428 while the user has not answered (as Expert does, where RFC 8628 says 400 authorization_pending).
    private func deviceGrant(_ raw: String?, client: Application, site: Site) async throws(OAuthError) -> IssuedTokens {
        guard let raw, !raw.isEmpty, raw.utf8.count <= 512 else { throw .invalidRequest("device_code is required") }
        let found: DeviceAuthorization?
        do { found = try await store.pollDeviceAuthorization(hash: tokens.refreshHash(raw)) } catch { throw .serverError(error) }
        guard let found, found.siteID == site.id, found.clientID == client.clientID else { throw .invalidGrant("device_code is invalid") }
        if found.status != .approved, found.expiresAt <= now() { throw OAuthError(code: "expired_token", description: "the device code expired") }
        switch found.status {
        case .pending:
            throw OAuthError(code: "authorization_pending", description: "waiting for the user to approve", status: 428)
        case .denied:
            throw OAuthError(code: "access_denied", description: "the user denied the request")
        case .used:
            throw .invalidGrant("device_code was already used")
        case .approved:
            do {
                guard let userID = found.userID, let user = try await directory.user(site: site.id, id: userID), user.status == .active else {
                    throw OAuthError.invalidGrant("the approving user is no longer active")
                }
                return try await tokens.issue(user: user, site: site, clientID: client.clientID, scope: found.scope)
            } catch let error as OAuthError {
                throw error
            } catch {
                throw .serverError(error)
            }
        }
    }

    // MARK: Authorizations

    public func authorizations(user: User, site: Site) async throws -> [Grant] {
        try await store.grants(site: site.id, userID: user.id)
    }

    /// Withdraws a user's consent: the client's refresh tokens for the user die, and so do their access tokens.
    public func revokeAuthorization(user: User, clientID: String, site: Site, clientAddress: String) async throws {
        let (found, families) = try await store.deleteGrant(site: site.id, userID: user.id, clientID: clientID)
        guard found || !families.isEmpty else { throw ServiceError.notFound("no authorization for client \(clientID.prefix(64))") }
        for family in families { try await tokens.revokeAccessTokens(family: family, site: site.id) }
        audit.record(AuditEvent(siteID: site.id, action: "consent.revoke", outcome: "success", actorUserID: user.id, tokenID: nil,
                                clientAddress: clientAddress, detail: "client \(clientID.prefix(64)), \(families.count) session(s)"))
    }
}
