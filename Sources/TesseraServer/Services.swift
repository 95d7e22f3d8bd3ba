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
    public let logger: Logger

    public init(store: any Store, settings: Settings, masterKey: MasterKey, hasher: PasswordHasher = PasswordHasher(),
                throttle: LoginThrottle = LoginThrottle(), logger: Logger) {
        self.store = store
        self.settings = settings
        self.sites = SiteDirectory(store: store)
        self.directory = Directory(store: store)
        self.accounts = AccountService(directory: directory, hasher: hasher, throttle: throttle, settings: settings, logger: logger)
        self.siteService = SiteService(store: store, hasher: hasher)
        self.audit = AuditLog(store: store, logger: logger)
        self.credentials = CredentialService(directory: directory, masterKey: masterKey, settings: settings)
        self.developerTokens = DeveloperTokenService(directory: directory, credentials: credentials, audit: audit)
        self.logger = logger
    }
}
