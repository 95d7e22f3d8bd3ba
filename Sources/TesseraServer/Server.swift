import Foundation
import Hummingbird
import Logging
import ServiceLifecycle
import TesseraCore
import TesseraCrypto
import TesseraStore

/// How `tessera serve` was configured.
public struct ServerConfiguration: Sendable {
    public var host: String
    public var port: Int
    public var dataDirectory: String
    public var publicURL: String?
    public var databaseURL: String?
    public var adminPassword: String?
    public var authTokenLifetime: Int64
    /// 64 hex characters, or nil to use (or create) `master.key` in the data directory.
    public var masterKey: String?
    public var signatureWindow: Int64
    /// CXone token lifetimes, in seconds.
    public var accessTokenLifetime: Int64 = 3600
    public var refreshTokenLifetime: Int64 = 86_400
    /// Seconds between scheduled signing-key rotations (0: never), and between re-reads of the key ring.
    public var signingKeyRotation: Int64 = 90 * 86_400
    public var signingKeyRefresh: Int64 = 60
    public var areas = AreaEndpoints()

    public init(host: String, port: Int, dataDirectory: String, publicURL: String?, databaseURL: String?,
                adminPassword: String?, authTokenLifetime: Int64, masterKey: String? = nil, signatureWindow: Int64 = 300) {
        self.masterKey = masterKey
        self.signatureWindow = signatureWindow
        self.host = host
        self.port = port
        self.dataDirectory = dataDirectory
        self.publicURL = publicURL
        self.databaseURL = databaseURL
        self.adminPassword = adminPassword
        self.authTokenLifetime = authTokenLifetime
    }

    var effectivePublicURL: String {
        publicURL ?? "http://\(host.contains(":") ? "[\(host)]" : host):\(port)"
    }
}

/// Opens the configured store: PostgreSQL for a `postgres://` URL, else SQLite in the data directory.
public enum StoreFactory {
    public static func open(databaseURL: String?, dataDirectory: String, logger: Logger) throws -> any Store {
        if let databaseURL, !databaseURL.isEmpty {
            return try PostgresStore(url: databaseURL, logger: logger)
        }
        try FileManager.default.createDirectory(atPath: dataDirectory, withIntermediateDirectories: true,
                                                attributes: [.posixPermissions: 0o700])
        return try SQLiteStore(path: (dataDirectory as NSString).appendingPathComponent("tessera.sqlite"))
    }
}

/// Runs the server until SIGTERM or SIGINT: migrate, create the default site on first start, serve, then drain
/// in-flight requests and close the store.
public enum TesseraServerRunner {
    /// Opens and migrates the store, checks the master key against it, and builds the services (the server and
    /// the administrative commands share this).
    public static func openServices(_ configuration: ServerConfiguration, logger: Logger) async throws -> Services {
        let store = try StoreFactory.open(databaseURL: configuration.databaseURL, dataDirectory: configuration.dataDirectory, logger: logger)
        do {
            try await store.migrate()
            let masterKey = try MasterKey.load(hex: configuration.masterKey, directory: configuration.dataDirectory)
            guard try await store.masterKeyFingerprint(proposed: masterKey.fingerprint) == masterKey.fingerprint else {
                throw MasterKeyError("this database was set up with a different master key: give every instance the same TESSERA_MASTER_KEY")
            }
            let settings = Settings(authTokenLifetime: configuration.authTokenLifetime, publicURL: configuration.effectivePublicURL,
                                    signatureWindow: configuration.signatureWindow, accessTokenLifetime: configuration.accessTokenLifetime,
                                    refreshTokenLifetime: configuration.refreshTokenLifetime, areas: configuration.areas)
            return Services(store: store, settings: settings, masterKey: masterKey, signingKeyRotation: configuration.signingKeyRotation,
                            signingKeyRefresh: configuration.signingKeyRefresh, logger: logger)
        } catch {
            try? await store.close()
            throw error
        }
    }

    public static func run(_ configuration: ServerConfiguration, logger: Logger) async throws {
        let services = try await openServices(configuration, logger: logger)
        let store = services.store
        let settings = services.settings
        do {
            if let created = try await services.siteService.bootstrapDefaultSite(adminPassword: configuration.adminPassword) {
                // Printed once, on the terminal only: never logged, never stored in clear.
                if let password = created.generatedPassword {
                    print("Created the default site and its administrator 'admin' with the password: \(password)")
                    print("This password is shown once. Change it with PUT /@api/deki/users/1?accountpassword=...")
                } else {
                    print("Created the default site and its administrator 'admin' with the password from TESSERA_ADMIN_PASSWORD.")
                }
            }
            // The default site's signing key is made (or rotated when due) now rather than by the first token request.
            if let site = try await store.sites().first(where: \.isDefault) { _ = try await services.keyRing.signingKey(site: site.id) }
            for site in try await store.sites() where site.legacyTokens.enabled { services.legacyTokens.warn(site) }
            let app = TesseraApp.application(services: services, host: configuration.host, port: configuration.port, logger: logger) { port in
                print("Tessera serving on \(settings.publicURL) (listening on \(configuration.host):\(port))")
                fflush(nil)
            }
            let group = ServiceGroup(
                configuration: .init(
                    services: [.init(service: StoreCloser(store: store, audit: services.audit, logger: logger)), .init(service: app)],
                    gracefulShutdownSignals: [.sigterm, .sigint],
                    logger: logger
                )
            )
            try await group.run()
        } catch {
            try? await store.close()
            throw error
        }
    }
}

/// Closes the store after the HTTP server (started after it, so stopped before it) has drained.
struct StoreCloser: Service {
    let store: any Store
    let audit: AuditLog
    let logger: Logger

    func run() async throws {
        try? await gracefulShutdown()
        await audit.flush()
        do {
            try await store.close()
            logger.info("store closed")
        } catch {
            logger.error("store did not close cleanly", metadata: ["error": "\(type(of: error))"])
            throw error
        }
    }
}
