import Foundation
import Hummingbird
import Logging
import ServiceLifecycle
import TesseraCore
import TesseraCrypto
import TesseraStore

/// Runs the server until SIGTERM or SIGINT: migrate, create the default site on first start, serve, then drain
/// in-flight requests and close the store.
public enum TesseraServerRunner {
    /// Opens and migrates the store, checks the master key against it, and builds the services (the server and
    /// the administrative commands share this).
    public static func openServices(_ configuration: ServerConfiguration, logger: Logger) async throws -> Services {
        let store = try StoreFactory.open(databaseURL: configuration.databaseURL, dataDirectory: configuration.dataDirectory, logger: logger)
        do {
            for note in try await store.migrate(at: Date()) { logger.warning("migration: \(note)") }
            let masterKey = try MasterKey.load(hex: configuration.masterKey, directory: configuration.dataDirectory)
            guard try await store.masterKeyFingerprint(proposed: masterKey.fingerprint) == masterKey.fingerprint else {
                throw MasterKeyError("this database was set up with a different master key: give every instance the same TESSERA_MASTER_KEY")
            }
            var settings = Settings(authTokenLifetime: configuration.authTokenLifetime, publicURL: configuration.effectivePublicURL,
                                    signatureWindow: configuration.signatureWindow, accessTokenLifetime: configuration.accessTokenLifetime,
                                    refreshTokenLifetime: configuration.refreshTokenLifetime, areas: configuration.areas)
            settings.trustedProxies = configuration.trustedProxies
            settings.auditRetentionDays = configuration.auditRetentionDays
            let services = Services(store: store, settings: settings, masterKey: masterKey, signingKeyRotation: configuration.signingKeyRotation,
                                    signingKeyRefresh: configuration.signingKeyRefresh, logger: logger, fetchJWKS: JWKSFetcher.fetch)
            let sealed = try await services.siteService.sealStoredKeys()
            if sealed > 0 { logger.notice("sealed the auth-token keys of \(sealed) site(s) under the master key") }
            return services
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
            // Older releases write access keys without announcing it: while one may serve beside this instance, keys
            // come from the store on every exchange.
            if try await store.olderReleasesMayServe() {
                services.directory.keepAccessKeysInMemory(false)
                logger.notice("an older release may still serve this database: access keys are read from it on each exchange until `tessera migrate --finish` has run and this instance restarts")
            }
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
            if let site = try await services.sites.all().first(where: \.isDefault) { _ = try await services.keyRing.signingKey(site: site.id) }
            for site in try await services.sites.all() where site.legacyTokens.enabled { services.legacyTokens.warn(site) }
            let app = TesseraApp.application(services: services, host: configuration.host, port: configuration.port, logger: logger) { port in
                print("Tessera serving on \(settings.publicURL) (listening on \(configuration.host):\(port))")
                fflush(nil)
            }
            let group = ServiceGroup(
                configuration: .init(
                    services: [.init(service: StoreCloser(store: store, audit: services.audit, logger: logger)),
                               .init(service: Housekeeping(services: services, retentionDays: settings.auditRetentionDays, logger: logger)),
                               .init(service: app)],
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
