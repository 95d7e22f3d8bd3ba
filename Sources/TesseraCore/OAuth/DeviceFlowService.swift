import Foundation
import TesseraCrypto

/// The device flow of Expert's OAuth API tokens (RFC 8628): `device.json` starts a request, a signed-in person
/// approves or denies it on the device page, and the client polls `access.json` (`DeviceCodeGrant`).
public final class DeviceFlowService: Sendable {
    /// Device requests live ten minutes; clients poll every five seconds.
    public static let deviceLifetime: Int64 = 600
    public static let pollInterval: Int64 = 5
    /// No vowels (no words), no look-alikes: RFC 8628 §6.1.
    static let userCodeAlphabet = Array("BCDFGHJKLMNPQRSTVWXZ")
    /// Expert's OAuth API token scopes (seed 002).
    public static let expertScopes: Set<String> = ["profile", "seated"]

    private let devices: any GrantStore
    private let clients: ClientAuthenticator
    private let directory: Directory
    private let tokens: CXoneTokenService
    private let consents: ConsentService
    private let audit: AuditLog
    private let now: @Sendable () -> Date
    /// Unknown user codes entered from one address (RFC 8628 §5.1: a code has about 35 bits, safe only while guesses
    /// are few): after 5 in 15 minutes each further one is answered late, after 20 the address is refused for 15
    /// minutes. Per site and address; a code that is found clears nothing (one right code excuses no guesses).
    private let guesses: LoginThrottle

    public init(devices: any GrantStore, clients: ClientAuthenticator, directory: Directory, tokens: CXoneTokenService, consents: ConsentService,
                audit: AuditLog, now: @escaping @Sendable () -> Date = { Date() }) {
        self.devices = devices
        self.clients = clients
        self.directory = directory
        self.tokens = tokens
        self.consents = consents
        self.audit = audit
        self.now = now
        let perAddress = LoginThrottle.Policy(slowAfter: 5, blockAfter: 20, window: 900, blockFor: 900)
        let never = LoginThrottle.Policy(slowAfter: .max, blockAfter: .max, window: 900, blockFor: 0)
        guesses = LoginThrottle(pair: perAddress, address: perAddress, account: never, now: now)
    }

    /// `device.json`: a new request for the authenticated OAuth API token.
    public func start(_ request: TokenRequest, site: Site) async throws(OAuthError) -> DeviceStart {
        guard let client = try await clients.authenticate(request, site: site, accepting: .developerTokens) else {
            throw .invalidClient("authenticate with an OAuth API token's key and secret", basic: request.basic != nil)
        }
        guard let asked = Scope.requested(request.parameters["scope"] ?? "profile"), !asked.isEmpty, asked.allSatisfy(Self.expertScopes.contains) else {
            throw OAuthError(code: "invalid_scope", description: "scope may contain profile and seated")
        }
        let scope = Self.expertScopes.sorted().filter(asked.contains).joined(separator: " ")
        let deviceCode = Base64URL.encode(Secrets.randomBytes(32))
        let created = now()
        for attempt in 1...5 {
            let userCode = String((0..<8).map { _ in Self.userCodeAlphabet.randomElement()! })
            do {
                try await devices.insertDeviceAuthorization(DeviceAuthorization(
                    deviceCodeHash: tokens.refreshHash(deviceCode), userCode: userCode, siteID: site.id, clientID: client.id, scope: scope,
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
    /// Throws `.throttled` when this address has entered too many unknown codes.
    public func pending(userCode: String, site: Site, clientAddress: String) async throws -> (DeviceAuthorization, clientName: String)? {
        let siteKey = site.id.lowercasedString
        try guesses.check(account: siteKey, address: clientAddress)
        guard let code = Self.normaliseUserCode(userCode), let found = try await devices.deviceAuthorization(site: site.id, userCode: code),
              found.status == .pending, found.expiresAt > now(),
              let token = try await directory.developerToken(site: site.id, key: found.clientID)
        else {
            let delay = guesses.recordFailure(account: siteKey, address: clientAddress)
            if delay > 0 { try? await Task.sleep(for: .milliseconds(Int(delay * 1000))) }
            return nil
        }
        return (found, token.name)
    }

    /// The signed-in user approves or denies; false when the request is no longer pending.
    public func decide(userCode: String, user: User, approve: Bool, site: Site, clientAddress: String) async throws -> Bool {
        guard let (pending, name) = try await pending(userCode: userCode, site: site, clientAddress: clientAddress) else { return false }
        if approve, Scope.set(pending.scope).contains(Scope.seated), !user.hasSeat {
            throw ServiceError.forbidden("the seated scope needs a user with a seat")
        }
        guard try await devices.decideDeviceAuthorization(site: site.id, userCode: pending.userCode, userID: user.id, approve: approve, at: now()) else {
            return false
        }
        if approve {
            try await consents.record(user: user, clientID: pending.clientID, clientName: name, scope: pending.scope, site: site)
        }
        audit.record(AuditEvent(siteID: site.id, at: now(), action: approve ? "consent.grant" : "consent.deny", outcome: approve ? "success" : "refused",
                                actorUserID: user.id, tokenID: nil, clientAddress: clientAddress, detail: "device flow, client \(pending.clientID)"))
        return true
    }
}
