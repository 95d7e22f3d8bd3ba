import Foundation
import Logging
import TesseraCrypto

/// The composition root: every service, built once at start over one store, all on the same clock (tests pass a
/// fake one). The HTTP surfaces, the command line and the tests take the services they call from here.
public struct Services: Sendable {
    public let store: any Store
    public let settings: Settings
    public let sites: SiteDirectory
    public let directory: Directory
    public let accounts: AccountService
    public let siteService: SiteService
    public let branding: BrandingService
    public let credentials: CredentialService
    public let developerTokens: DeveloperTokenService
    public let audit: AuditLog
    public let keyRing: KeyRing
    public let cxoneTokens: CXoneTokenService
    public let accessKeys: AccessKeyService
    public let clients: ClientAuthenticator
    /// `/auth/token`.
    public let tokenEndpoint: TokenEndpoint
    /// Expert's `access.json`.
    public let expertTokenEndpoint: TokenEndpoint
    public let consents: ConsentService
    public let deviceFlow: DeviceFlowService
    public let registrations: RegistrationService
    public let authorize: AuthorizeService
    public let revocations: RevocationList
    public let introspection: IntrospectionService
    public let legacyTokens: LegacyTokenService
    public let identityExchange: IdentityExchangeService
    public let logger: Logger

    public init(store: any Store, settings: Settings, masterKey: MasterKey, hasher: PasswordHasher = PasswordHasher(),
                throttle: LoginThrottle = LoginThrottle(), signingKeyRotation: Int64 = 90 * 86_400, signingKeyRefresh: Int64 = 60,
                logger: Logger, now: @escaping @Sendable () -> Date = { Date() },
                fetchJWKS: @escaping @Sendable (String) async throws -> [UInt8]) {
        self.store = store
        self.settings = settings
        self.logger = logger
        let changes = store.changes
        sites = SiteDirectory(store: store, changes: changes, masterKey: masterKey, now: now)
        directory = Directory(users: store, developerTokens: store, accessKeys: store, clients: store, changes: changes)
        revocations = RevocationList(store: store, changes: changes, now: now)
        audit = AuditLog(store: store, logger: logger)
        accounts = AccountService(users: store, directory: directory, hasher: hasher, throttle: throttle, settings: settings, logger: logger,
                                  revocations: revocations, audit: audit, now: now)
        siteService = SiteService(store: store, hasher: hasher, masterKey: masterKey, now: now)
        branding = BrandingService(store: store, sites: sites, audit: audit)
        credentials = CredentialService(directory: directory, masterKey: masterKey, settings: settings, now: now)
        developerTokens = DeveloperTokenService(store: store, users: store, directory: directory, credentials: credentials, audit: audit, now: now)
        keyRing = KeyRing(store: store, changes: changes, masterKey: masterKey, rotationPeriod: signingKeyRotation, refreshInterval: signingKeyRefresh,
                          now: now)
        cxoneTokens = CXoneTokenService(keyRing: keyRing, directory: directory, grants: store, masterKey: masterKey, settings: settings,
                                        revocations: revocations, now: now)
        accessKeys = AccessKeyService(store: store, users: store, directory: directory, tokens: cxoneTokens, masterKey: masterKey, audit: audit, now: now)
        identityExchange = IdentityExchangeService(providers: store, users: store, directory: directory, audit: audit, fetch: fetchJWKS, now: now)
        clients = ClientAuthenticator(directory: directory, credentials: credentials, assertions: store, masterKey: masterKey, settings: settings,
                                      audit: audit, fetchJWKS: fetchJWKS, now: now)
        consents = ConsentService(grants: store, developerTokens: store, accessKeys: store, tokens: cxoneTokens, audit: audit, now: now)
        let codeGrant = AuthorizationCodeGrant(codes: store, directory: directory, tokens: cxoneTokens, now: now)
        let refreshGrant = RefreshTokenGrant(tokens: cxoneTokens, clients: clients)
        tokenEndpoint = TokenEndpoint(grants: [
            PasswordGrant(accessKeys: accessKeys, tokens: cxoneTokens), refreshGrant, codeGrant,
            TokenExchangeGrant(identityExchange: identityExchange, tokens: cxoneTokens),
        ], clients: clients, accepting: .applications)
        expertTokenEndpoint = TokenEndpoint(grants: [
            codeGrant, refreshGrant, DeviceCodeGrant(devices: store, directory: directory, tokens: cxoneTokens, now: now),
        ], clients: clients, accepting: .developerTokens, clientAlwaysRequired: true)
        deviceFlow = DeviceFlowService(devices: store, clients: clients, directory: directory, tokens: cxoneTokens, consents: consents, audit: audit,
                                       now: now)
        registrations = RegistrationService(store: store, clients: clients, audit: audit, now: now)
        introspection = IntrospectionService(refreshTokens: store, developerTokens: store, directory: directory, clients: clients,
                                             credentials: credentials, accounts: accounts, tokens: cxoneTokens, revocations: revocations, audit: audit,
                                             now: now)
        authorize = AuthorizeService(codes: store, directory: directory, clients: clients, consents: consents, tokens: cxoneTokens, accounts: accounts,
                                     revocations: revocations, audit: audit, now: now)
        legacyTokens = LegacyTokenService(store: store, directory: directory, masterKey: masterKey, audit: audit, logger: logger, now: now)
    }
}
