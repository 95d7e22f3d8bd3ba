import Logging
import TesseraCore
import TesseraCrypto

/// Everything the HTTP surfaces call into, built once at start.
public struct Services: Sendable {
    public let store: any Store
    public let settings: Settings
    public let sites: SiteDirectory
    public let accounts: AccountService
    public let siteService: SiteService
    public let logger: Logger

    public init(store: any Store, settings: Settings, hasher: PasswordHasher = PasswordHasher(),
                throttle: LoginThrottle = LoginThrottle(), logger: Logger) {
        self.store = store
        self.settings = settings
        self.sites = SiteDirectory(store: store)
        self.accounts = AccountService(store: store, hasher: hasher, throttle: throttle, settings: settings, logger: logger)
        self.siteService = SiteService(store: store, hasher: hasher)
        self.logger = logger
    }
}
