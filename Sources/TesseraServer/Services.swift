import Logging
import TesseraCore
import TesseraCrypto

/// Everything the HTTP surfaces call into, built once at start.
public struct Services: Sendable {
    public let store: any Store
    public let settings: Settings
    public let sites: SiteDirectory
    public let directory: Directory
    public let accounts: AccountService
    public let siteService: SiteService
    public let credentials: CredentialService
    public let developerTokens: DeveloperTokenService
    public let audit: AuditLog
    public let keyRing: KeyRing
    public let cxoneTokens: CXoneTokenService
    public let accessKeys: AccessKeyService
    public let oauth: OAuthService
    public let registrations: RegistrationService
    public let authorize: AuthorizeService
    public let expertOAuth: ExpertOAuthService
    public let revocations: RevocationList
    public let introspection: IntrospectionService
    public let legacyTokens: LegacyTokenService
    public let identityExchange: IdentityExchangeService
    public let logger: Logger

    public init(store: any Store, settings: Settings, masterKey: MasterKey, hasher: PasswordHasher = PasswordHasher(),
                throttle: LoginThrottle = LoginThrottle(), signingKeyRotation: Int64 = 90 * 86_400, signingKeyRefresh: Int64 = 60,
                logger: Logger) {
        self.store = store
        self.settings = settings
        self.sites = SiteDirectory(store: store)
        self.directory = Directory(store: store)
        self.revocations = RevocationList(store: store)
        self.accounts = AccountService(directory: directory, hasher: hasher, throttle: throttle, settings: settings, logger: logger,
                                       revocations: revocations)
        self.siteService = SiteService(store: store, hasher: hasher)
        self.audit = AuditLog(store: store, logger: logger)
        self.credentials = CredentialService(directory: directory, masterKey: masterKey, settings: settings)
        self.developerTokens = DeveloperTokenService(directory: directory, credentials: credentials, audit: audit)
        self.keyRing = KeyRing(store: store, masterKey: masterKey, rotationPeriod: signingKeyRotation, refreshInterval: signingKeyRefresh)
        self.cxoneTokens = CXoneTokenService(keyRing: keyRing, directory: directory, store: store, masterKey: masterKey, settings: settings,
                                             revocations: revocations)
        self.accessKeys = AccessKeyService(store: store, directory: directory, tokens: cxoneTokens, masterKey: masterKey, audit: audit)
        self.identityExchange = IdentityExchangeService(store: store, directory: directory, audit: audit, fetch: JWKSFetcher.fetch)
        self.oauth = OAuthService(store: store, directory: directory, tokens: cxoneTokens, accessKeys: accessKeys,
                                  identityExchange: identityExchange, masterKey: masterKey, audit: audit)
        self.registrations = RegistrationService(store: store, oauth: oauth, audit: audit)
        self.introspection = IntrospectionService(store: store, directory: directory, oauth: oauth, credentials: credentials, accounts: accounts,
                                                  tokens: cxoneTokens, revocations: revocations, audit: audit)
        self.authorize = AuthorizeService(store: store, directory: directory, oauth: oauth, tokens: cxoneTokens, accounts: accounts,
                                          revocations: revocations, audit: audit)
        self.expertOAuth = ExpertOAuthService(store: store, directory: directory, oauth: oauth, tokens: cxoneTokens, introspection: introspection,
                                              audit: audit)
        self.legacyTokens = LegacyTokenService(store: store, directory: directory, masterKey: masterKey, audit: audit, logger: logger)
        self.logger = logger
    }
}
