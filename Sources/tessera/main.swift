import ArgumentParser
import Foundation
import Logging
import TesseraCore
import TesseraCrypto
import TesseraServer
import TesseraStore

@main
struct Tessera: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tessera",
        abstract: "API-token and OAuth 2.0 / OpenID Connect server.",
        subcommands: [Serve.self, SiteCommand.self, AppCommand.self, KeysCommand.self, UserCommand.self, IdentityProviderCommand.self,
                      Backup.self, Restore.self, Migrate.self]
    )
}

/// Options every command that opens the store shares. Each flag has an environment variable; the flag wins.
struct StoreOptions: ParsableArguments {
    @Option(help: "Directory of the embedded SQLite store (env TESSERA_DATA_DIR).")
    var dataDir: String?
    @Option(help: "postgres:// URL: use PostgreSQL instead of SQLite (env TESSERA_DATABASE_URL).")
    var databaseURL: String?

    var resolvedDataDir: String { dataDir ?? env("TESSERA_DATA_DIR") ?? "./tessera-data" }
    var resolvedDatabaseURL: String? { databaseURL ?? env("TESSERA_DATABASE_URL") }

    /// The store, migrated, with every service over it (the master key from TESSERA_MASTER_KEY or the data directory).
    func services(publicURL: String? = nil) async throws -> Services {
        var configuration = ServerConfiguration(
            host: "127.0.0.1", port: 8080, dataDirectory: resolvedDataDir, publicURL: publicURL ?? env("TESSERA_PUBLIC_URL"),
            databaseURL: resolvedDatabaseURL, adminPassword: nil, authTokenLifetime: 561_600, masterKey: env("TESSERA_MASTER_KEY"))
        configuration.signingKeyRotation = 0
        return try await TesseraServerRunner.openServices(configuration, logger: makeLogger())
    }
}

func env(_ name: String) -> String? {
    guard let value = ProcessInfo.processInfo.environment[name], !value.isEmpty else { return nil }
    return value
}

func makeLogger() -> Logger {
    var logger = Logger(label: "tessera")
    logger.logLevel = env("TESSERA_LOG_LEVEL").flatMap(Logger.Level.init(rawValue:)) ?? .info
    return logger
}

struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Run the server.")

    @Option(help: "Address to listen on (env TESSERA_HOST).")
    var host: String?
    @Option(help: "Port to listen on (env TESSERA_PORT).")
    var port: Int?
    @Option(help: "Base URL used in issued tokens and links (env TESSERA_PUBLIC_URL).")
    var publicURL: String?
    @Option(help: "Auth token lifetime in seconds (env TESSERA_AUTHTOKEN_LIFETIME).")
    var authTokenLifetime: Int64?
    @Option(help: "Seconds a server-token signature's epoch may differ from now (env TESSERA_SIGNATURE_WINDOW).")
    var signatureWindow: Int64?
    @Option(help: "CXone access token and id_token lifetime in seconds (env TESSERA_ACCESS_TOKEN_LIFETIME, default 3600).")
    var accessTokenLifetime: Int64?
    @Option(help: "Refresh token lifetime in seconds (env TESSERA_REFRESH_TOKEN_LIFETIME, default 86400).")
    var refreshTokenLifetime: Int64?
    @Option(help: "Seconds between scheduled signing-key rotations, 0 for never (env TESSERA_SIGNING_KEY_ROTATION, default 7776000).")
    var signingKeyRotation: Int64?
    @Option(help: "Seconds between re-reads of the signing keys from the store (env TESSERA_SIGNING_KEY_REFRESH, default 60).")
    var signingKeyRefresh: Int64?
    @Option(help: "JSON file of public endpoints per CXone area (env TESSERA_AREAS).")
    var areas: String?
    @Option(help: "Reverse proxies (CIDR,...) whose Forwarded / X-Forwarded-For headers name the client (env TESSERA_TRUSTED_PROXIES).")
    var trustedProxies: String?
    @Option(help: "Days the audit trail keeps events (env TESSERA_AUDIT_RETENTION_DAYS, default 90).")
    var auditRetentionDays: Int?
    @OptionGroup var store: StoreOptions

    func run() async throws {
        let port = port ?? env("TESSERA_PORT").map({ Int($0) ?? -1 }) ?? 8080
        guard (0...65535).contains(port) else {
            throw ValidationError("port must be 0 to 65535")
        }
        let lifetime = try seconds(authTokenLifetime, "TESSERA_AUTHTOKEN_LIFETIME", default: 561_600, range: 1...315_360_000, "auth token lifetime")
        let signatureWindow = try seconds(self.signatureWindow, "TESSERA_SIGNATURE_WINDOW", default: 300, range: 1...86_400, "signature window")
        let publicURL = publicURL ?? env("TESSERA_PUBLIC_URL")
        if let publicURL {
            guard let url = URLComponents(string: publicURL), ["http", "https"].contains(url.scheme ?? ""), url.host != nil else {
                throw ValidationError("public URL must be an http or https URL")
            }
        }
        var configuration = ServerConfiguration(
            host: host ?? env("TESSERA_HOST") ?? "127.0.0.1", port: port, dataDirectory: store.resolvedDataDir,
            publicURL: publicURL, databaseURL: store.resolvedDatabaseURL, adminPassword: env("TESSERA_ADMIN_PASSWORD"),
            authTokenLifetime: lifetime, masterKey: env("TESSERA_MASTER_KEY"), signatureWindow: signatureWindow
        )
        configuration.accessTokenLifetime = try seconds(accessTokenLifetime, "TESSERA_ACCESS_TOKEN_LIFETIME", default: 3600, range: 60...86_400, "access token lifetime")
        configuration.refreshTokenLifetime = try seconds(refreshTokenLifetime, "TESSERA_REFRESH_TOKEN_LIFETIME", default: 86_400,
                                                         range: 60...31_536_000, "refresh token lifetime")
        configuration.signingKeyRotation = try seconds(signingKeyRotation, "TESSERA_SIGNING_KEY_ROTATION", default: 7_776_000,
                                                       range: 0...315_360_000, "signing key rotation")
        configuration.signingKeyRefresh = try seconds(signingKeyRefresh, "TESSERA_SIGNING_KEY_REFRESH", default: 60, range: 1...3600, "signing key refresh")
        if let proxies = trustedProxies ?? env("TESSERA_TRUSTED_PROXIES") {
            do { configuration.trustedProxies = try TrustedProxies(parsing: proxies) } catch { throw ValidationError("trusted proxies: \(error.message)") }
        }
        let retention = auditRetentionDays ?? env("TESSERA_AUDIT_RETENTION_DAYS").map { Int($0) ?? -1 } ?? 90
        guard (1...36_500).contains(retention) else { throw ValidationError("audit retention must be 1 to 36500 days") }
        configuration.auditRetentionDays = retention
        if let path = areas ?? env("TESSERA_AREAS") {
            do {
                configuration.areas = try AreaEndpoints.load(json: try Data(contentsOf: URL(fileURLWithPath: path)))
            } catch {
                throw ValidationError("cannot read the areas file \(path): it must be a JSON object of area name to endpoints")
            }
        }
        try await TesseraServerRunner.run(configuration, logger: makeLogger())
    }
}

/// A duration option: the flag, else the environment variable, else the default; within `range`.
func seconds(_ flag: Int64?, _ variable: String, default value: Int64, range: ClosedRange<Int64>, _ what: String) throws -> Int64 {
    let chosen: Int64
    if let flag { chosen = flag } else if let text = env(variable) {
        guard let parsed = Int64(text) else { throw ValidationError("\(variable) must be a number of seconds") }
        chosen = parsed
    } else { chosen = value }
    guard range.contains(chosen) else { throw ValidationError("\(what) must be \(range.lowerBound) to \(range.upperBound) seconds") }
    return chosen
}

/// Options of the commands that act on a running deployment's data: the store, and the public URL that tokens
/// name as their issuer (it must be the server's).
struct AdminOptions: ParsableArguments {
    @OptionGroup var store: StoreOptions
    @Option(help: "The server's public URL (env TESSERA_PUBLIC_URL; default http://127.0.0.1:8080).")
    var publicURL: String?
    @Option(help: "Host name of the site to act on (default: the default site).")
    var site: String?

    func open() async throws -> (Services, Site) {
        let services = try await store.services(publicURL: publicURL)
        let sites = try await services.sites.all()
        let chosen: Site?
        if let site {
            let host = Hostname.normalise(site)
            chosen = sites.first { $0.hostnames.contains(host ?? "") || $0.id.lowercasedString == site.lowercased() }
        } else {
            chosen = sites.first(where: \.isDefault)
        }
        guard let chosen else {
            try? await services.store.close()
            throw ValidationError(site == nil ? "no default site yet: start the server once" : "no site answers on \(site!)")
        }
        return (services, chosen)
    }

    /// Opens the store, runs `body` on the chosen site, and closes the store whatever happens; a refusal of a
    /// service becomes a command-line error.
    func with<T>(_ body: (Services, Site) async throws -> T) async throws -> T {
        let (services, site) = try await open()
        do {
            let result = try await body(services, site)
            await services.audit.flush()
            try await services.store.close()
            return result
        } catch {
            try? await services.store.close()
            if let error = error as? ServiceError { throw ValidationError(error.message) }
            throw error
        }
    }
}

struct AppCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "app", abstract: "Manage OAuth applications: registrations, approval, enable and disable.",
        subcommands: [Create.self, Register.self, Approve.self, List.self, Disable.self, Enable.self, Delete.self])

    /// The registration form's fields as options.
    struct FormOptions: ParsableArguments {
        @Option(help: "Application name.") var name: String
        @Option(help: "backend, confidential or public (cannot change later).") var type: String
        @Option(help: "client_secret_basic (default), client_secret_post, client_secret_jwt or private_key_jwt; public applications use none.")
        var authMethod: String?
        @Option(help: "private_key_jwt: a file holding the application's JWK Set (RSA public keys).") var jwksFile: String?
        @Option(help: "private_key_jwt: where the application publishes its JWK Set (https, or http on a loopback host).") var jwksURL: String?
        @Option(help: "What the application does.") var description: String?
        @Option(help: "Primary business unit number.") var businessUnit: Int?
        @Option(name: .customLong("contact"), help: "Technical contact e-mail (repeatable).") var contacts: [String] = []
        @Flag(help: "Let users of every site in the environments use it (multiple tenants).") var multiTenant = false
        @Option(name: .customLong("environment"), help: "Tenant area to issue credentials for (repeatable; default: this site's).")
        var environments: [String] = []
        @Option(name: .customLong("redirect-uri"), help: "Allowed redirect URI (repeatable).") var redirectURIs: [String] = []
        @Option(name: .customLong("logout-uri"), help: "Allowed post-logout redirect URI (repeatable).") var logoutURIs: [String] = []
        @Option(name: .customLong("origin"), help: "Browser origin allowed by CORS (repeatable).") var origins: [String] = []
        @Option(name: .customLong("scope"), help: "API group the application uses, or tessera.admin to administer the site (repeatable).") var scopes: [String] = []

        func form() throws -> RegistrationForm {
            guard let type = ApplicationType(rawValue: type) else { throw ValidationError("type must be backend, confidential or public") }
            var method: ClientAuthMethod?
            if let authMethod {
                guard let parsed = ClientAuthMethod(rawValue: authMethod) else {
                    throw ValidationError("auth method must be client_secret_basic, client_secret_post, client_secret_jwt, private_key_jwt or none")
                }
                method = parsed
            }
            var jwks: String?
            if let jwksFile {
                guard let data = FileManager.default.contents(atPath: jwksFile), data.count <= 64 * 1024 else {
                    throw ValidationError("cannot read a JWK Set of at most 64 KiB from \(jwksFile)")
                }
                jwks = String(decoding: data, as: UTF8.self)
            }
            return RegistrationForm(name: name, description: description, businessUnit: businessUnit, contacts: contacts, multiTenant: multiTenant,
                                    environments: environments.isEmpty ? nil : environments, type: type, authMethod: method,
                                    redirectURIs: redirectURIs, logoutURIs: logoutURIs, origins: origins, scopes: scopes, jwks: jwks, jwksURL: jwksURL)
        }
    }

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Register and approve at once, for one environment; prints the client id and (once) its secret.")
        @OptionGroup var fields: FormOptions
        @OptionGroup var admin: AdminOptions

        func run() async throws {
            let form = try fields.form()
            let (application, secret) = try await admin.with { services, site in try await services.registrations.registerApproved(form, site: site) }
            print("client_id: \(application.clientID)")
            if let secret { print("client_secret: \(secret)") }
            if let tracking = application.trackingNumber { print("tracking_number: \(tracking)") }
        }
    }

    struct Register: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Submit a registration; prints its tracking number. It waits for approval.")
        @OptionGroup var fields: FormOptions
        @OptionGroup var admin: AdminOptions

        func run() async throws {
            let form = try fields.form()
            let registration = try await admin.with { services, site in try await services.registrations.submit(form, site: site, actor: nil, clientAddress: "cli") }
            print("tracking_number: \(registration.trackingNumber)")
            print("status: \(registration.status.rawValue)")
        }
    }

    struct Approve: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Approve a registration; prints a client id per environment and (once) the secrets.")
        @Argument(help: "The tracking number.") var trackingNumber: String
        @OptionGroup var admin: AdminOptions

        func run() async throws {
            let (approved, secrets) = try await admin.with { services, site in
                try await services.registrations.approve(site: site, trackingNumber: trackingNumber, actor: nil, clientAddress: "cli")
            }
            for client in approved.clients {
                print("environment: \(client.environment)")
                print("client_id: \(client.clientID)")
                if let secret = secrets[client.clientID] { print("client_secret: \(secret)") }
            }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List the site's registrations and their clients (never secrets).")
        @OptionGroup var admin: AdminOptions

        func run() async throws {
            let all = try await admin.with { services, site in try await services.registrations.list(site: site) }
            for entry in all {
                let r = entry.registration
                print("\(r.trackingNumber)\t\(r.status.rawValue)\t\(r.isEnabled ? "enabled" : "disabled")\t\(r.type.rawValue)\t\(r.name)")
                for client in entry.clients { print("  \(client.environment)\t\(client.clientID)") }
            }
        }
    }

    struct Disable: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Disable a registration: its clients stop authenticating.")
        @Argument(help: "The tracking number.") var trackingNumber: String
        @OptionGroup var admin: AdminOptions

        func run() async throws {
            _ = try await admin.with { services, site in
                try await services.registrations.setEnabled(site: site, trackingNumber: trackingNumber, enabled: false, actor: nil, clientAddress: "cli")
            }
            print("disabled")
        }
    }

    struct Enable: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Enable a disabled registration again.")
        @Argument(help: "The tracking number.") var trackingNumber: String
        @OptionGroup var admin: AdminOptions

        func run() async throws {
            _ = try await admin.with { services, site in
                try await services.registrations.setEnabled(site: site, trackingNumber: trackingNumber, enabled: true, actor: nil, clientAddress: "cli")
            }
            print("enabled")
        }
    }

    struct Delete: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Schedule a registration's deletion: its clients stop now and go, with it, after the delay; enable cancels.")
        @Argument(help: "The tracking number.") var trackingNumber: String
        @OptionGroup var admin: AdminOptions

        func run() async throws {
            let scheduled = try await admin.with { services, site in
                try await services.registrations.scheduleDeletion(site: site, trackingNumber: trackingNumber, actor: nil, clientAddress: "cli")
            }
            print("scheduled_deletion: \(scheduled.registration.scheduledDeletion.map { ISO8601DateFormatter().string(from: $0) } ?? "")")
        }
    }
}

struct KeysCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "keys", abstract: "Manage the RS256 signing keys.",
                                                    subcommands: [Rotate.self, List.self])

    struct Rotate: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Make a new signing key current; the old one keeps verifying.")
        @OptionGroup var admin: AdminOptions

        func run() async throws {
            let (services, site) = try await admin.open()
            let kid = try await services.keyRing.rotate(site: site.id)
            print("rotated: \(kid)")
            try await services.store.close()
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List a site's signing keys, newest first.")
        @OptionGroup var admin: AdminOptions

        func run() async throws {
            let (services, site) = try await admin.open()
            for (index, key) in try await services.store.signingKeys(site: site.id).enumerated() {
                let state = index == 0 ? "current" : index == 1 ? "previous" : "retired"
                print("\(key.kid)\t\(state)\t\(ISO8601DateFormatter().string(from: key.createdAt))")
            }
            try await services.store.close()
        }
    }
}

struct UserCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "user", abstract: "Act for a user.", subcommands: [BasicToken.self])

    struct BasicToken: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "basic-token", abstract: "Print a \"Generate Key\" basic token, to exchange at /public/user/refresh.")
        @Option(help: "The user's name.") var username: String
        @OptionGroup var admin: AdminOptions

        func run() async throws {
            let (services, site) = try await admin.open()
            defer { Task { try? await services.store.close() } }
            guard let user = try await services.store.user(site: site.id, username: username), user.status == .active else {
                throw ValidationError("no active user \(username) in this site")
            }
            guard user.can(.myAccessKey) || user.can(.accessKey) else {
                throw ValidationError("\(username) has neither the My Access Key nor the Access Key permission")
            }
            print(try await services.cxoneTokens.basicToken(user: user, site: site))
            try await services.store.close()
        }
    }
}

struct SiteCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "site", abstract: "Manage sites (tenants).", subcommands: [Create.self, List.self, Update.self, LegacyTokens.self, Branding.self]
    )

    struct Branding: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Set the sign-in page's logo and colour for this site (tenantId branding).")
        @Option(help: "Logo image URL (http or https); empty to remove.") var logo: String?
        @Option(help: "Colour as #rrggbb; empty to remove.") var colour: String?
        @OptionGroup var admin: AdminOptions

        func run() async throws {
            try await admin.with { services, site in
                _ = try await services.branding.update(site: site, logoURL: logo, colour: colour, caller: nil, clientAddress: "cli")
            }
            print("branding updated")
        }
    }

    struct LegacyTokens: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "legacy-tokens", abstract: "Turn Expert's legacy tokens (site API key, imp_ tokens) on or off. They are weak: avoid them.")
        @Flag(help: "Accept the site API key and impersonation tokens.") var enable = false
        @Flag(help: "Refuse them again.") var disable = false
        @Option(help: "The site API key to accept (8-128 characters), e.g. an existing integration's; default: keep or generate one.")
        var apiKey: String?
        @OptionGroup var admin: AdminOptions

        func run() async throws {
            guard enable != disable else { throw ValidationError("give exactly one of --enable and --disable") }
            let generated = try await admin.with { services, site in
                try await services.legacyTokens.configure(site: site, enabled: enable, apiKey: apiKey, actorUserID: nil, clientAddress: "cli")
            }
            if enable {
                FileHandle.standardError.write(Data("warning: \(LegacyTokenService.warning)\n".utf8))
                if let generated { print("api_key: \(generated)") }
                print("legacy tokens enabled")
            } else {
                print("legacy tokens disabled")
            }
        }
    }

    struct Update: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Change a site's CXone tenant profile.")
        @Option(help: "CXone business unit number (icBUId).") var businessUnit: Int?
        @Option(help: "CXone area: na1, au1, eu1, ...") var area: String?
        @Option(help: "CXone cluster (icClusterId).") var cluster: String?
        @OptionGroup var admin: AdminOptions

        func run() async throws {
            let (services, site) = try await admin.open()
            do {
                let tenant = try TenantProfile.validated(businessUnit: businessUnit ?? site.tenant.businessUnit, area: area ?? site.tenant.area,
                                                         cluster: cluster ?? site.tenant.cluster)
                try await services.store.updateTenant(site: site.id, tenant)
                print("\(site.id.lowercasedString)\tbusiness unit \(tenant.businessUnit)\tarea \(tenant.area)\tcluster \(tenant.cluster)")
                try await services.store.close()
            } catch let error as ServiceError {
                try? await services.store.close()
                throw ValidationError(error.message)
            }
        }
    }

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Create a site answering on the given host names.")
        @Option(help: "Site name.") var name: String
        @Option(name: .customLong("hostname"), help: "Host name routed to this site (repeatable).") var hostnames: [String]
        @Option(help: "CXone business unit number (icBUId).") var businessUnit: Int = 1000
        @Option(help: "CXone area: na1, au1, eu1, ...") var area: String = "na1"
        @Option(help: "CXone cluster (icClusterId).") var cluster: String = "C1"
        @OptionGroup var store: StoreOptions

        func run() async throws {
            let tenant: TenantProfile
            do { tenant = try TenantProfile.validated(businessUnit: businessUnit, area: area, cluster: cluster) } catch {
                throw ValidationError(error.message)
            }
            let services = try await store.services()
            defer { Task { try? await services.store.close() } }
            let created = try await services.siteService
                .createSite(name: name, hostnames: hostnames, adminPassword: env("TESSERA_ADMIN_PASSWORD"), tenant: tenant)
            print("Created site \(created.site.id.lowercasedString) (\(created.site.hostnames.joined(separator: ", ")))")
            if let password = created.generatedPassword {
                print("Its administrator 'admin' has the password: \(password) (shown once)")
            }
            try await services.store.close()
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List sites.")
        @OptionGroup var store: StoreOptions

        func run() async throws {
            let db = try StoreFactory.open(databaseURL: store.resolvedDatabaseURL, dataDirectory: store.resolvedDataDir, logger: makeLogger())
            try await db.migrate(at: Date())
            for site in try await db.sites() {
                print("\(site.id.lowercasedString)\t\(site.name)\t\(site.isDefault ? "default" : "-")\t\(site.hostnames.joined(separator: ","))"
                      + "\t\(site.tenant.businessUnit)\t\(site.tenant.area)\t\(site.tenant.cluster)")
            }
            try await db.close()
        }
    }
}

struct IdentityProviderCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "idp", abstract: "Manage the identity providers trusted for token exchange.",
                                                    subcommands: [Add.self, List.self, Remove.self, Link.self, Unlink.self, Links.self])

    struct Add: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Trust an OpenID Connect provider's ID tokens.")
        @Option(help: "The provider's issuer (the iss of its ID tokens).") var issuer: String
        @Option(help: "The audience its ID tokens must name (your client id there).") var audience: String
        @Option(help: "Where its JWKS is served.") var jwksURL: String?
        @Option(help: "A file holding its JWK Set, for providers without a JWKS URL.") var jwksFile: String?
        @Option(help: "Claim holding the username (default sub).") var usernameClaim = "sub"
        @Option(help: "Claim holding the given name (default given_name).") var givenNameClaim = "given_name"
        @Option(help: "Claim holding the family name (default family_name).") var familyNameClaim = "family_name"
        @Option(help: "Claim holding the email address (default email).") var emailClaim = "email"
        @OptionGroup var admin: AdminOptions

        func run() async throws {
            let staticJWKS: String?
            if let jwksFile {
                guard let text = try? String(contentsOfFile: jwksFile, encoding: .utf8) else { throw ValidationError("cannot read \(jwksFile)") }
                staticJWKS = text
            } else { staticJWKS = nil }
            let claims = IdentityProvider.ClaimMapping(username: usernameClaim, givenName: givenNameClaim, familyName: familyNameClaim, email: emailClaim)
            let provider = try await admin.with { services, site in
                try await services.identityExchange.addProvider(site: site, issuer: issuer, audience: audience, jwksURL: jwksURL,
                                                                staticJWKS: staticJWKS, claims: claims)
            }
            print("added identity provider \(provider.issuer)")
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List the trusted identity providers.")
        @OptionGroup var admin: AdminOptions

        func run() async throws {
            for provider in try await admin.with({ services, site in try await services.store.identityProviders(site: site.id) }) {
                print("\(provider.issuer)\t\(provider.audience)\t\(provider.jwksURL ?? "static keys")")
            }
        }
    }

    struct Remove: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Stop trusting a provider.")
        @Option(help: "The provider's issuer.") var issuer: String
        @OptionGroup var admin: AdminOptions

        func run() async throws {
            guard try await admin.with({ services, site in try await services.store.deleteIdentityProvider(site: site.id, issuer: issuer) }) else {
                throw ValidationError("no identity provider \(issuer)")
            }
            print("removed identity provider \(issuer)")
        }
    }

    struct Link: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Let an identity of a trusted provider (its issuer and subject) act as an existing user in identity exchange.")
        @Option(help: "The provider's issuer.") var issuer: String
        @Option(help: "The identity's subject (the sub claim of its ID tokens).") var subject: String
        @Option(help: "The local user it acts as.") var username: String
        @OptionGroup var admin: AdminOptions

        func run() async throws {
            let link = try await admin.with { services, site in
                try await services.identityExchange.link(site: site, issuer: issuer, subject: subject, username: username, caller: nil,
                                                         clientAddress: "command line")
            }
            print("linked \(issuer) \(subject) to user \(link.userID)")
        }
    }

    struct Unlink: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Remove an identity's link to a user.")
        @Option(help: "The provider's issuer.") var issuer: String
        @Option(help: "The identity's subject.") var subject: String
        @OptionGroup var admin: AdminOptions

        func run() async throws {
            try await admin.with { services, site in
                try await services.identityExchange.unlink(site: site, issuer: issuer, subject: subject, caller: nil, clientAddress: "cli")
            }
            print("unlinked \(issuer) \(subject)")
        }
    }

    struct Links: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List the identities linked to users.")
        @OptionGroup var admin: AdminOptions

        func run() async throws {
            for link in try await admin.with({ services, site in try await services.identityExchange.links(site: site, caller: nil) }) {
                print("\(link.issuer)\t\(link.subject)\t\(link.userID)")
            }
        }
    }
}

/// The SQLite store's file in a data directory.
func storeFile(_ dataDirectory: String) -> String { (dataDirectory as NSString).appendingPathComponent("tessera.sqlite") }

/// What a SQLite-only command says when the store is PostgreSQL.
let useThePostgresTools = "the store is PostgreSQL: back it up with pg_dump and restore with pg_restore (see README, Backups)"

struct Migrate: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Apply the store's pending schema steps (every start does); --finish also the ones that wait for older instances.",
        discussion: """
            A rolling upgrade on PostgreSQL: start the new release's instances one by one (each applies the steps older \
            instances can serve beside); once no instance of the older release serves the database, run \
            `tessera migrate --finish` (safe while the new instances serve).
            """)
    @Flag(help: "Also apply the contract steps: run it only when no instance of an older release serves this store.")
    var finish = false
    @OptionGroup var store: StoreOptions

    func run() async throws {
        let db = try StoreFactory.open(databaseURL: store.resolvedDatabaseURL, dataDirectory: store.resolvedDataDir, logger: makeLogger())
        let notes: [String]
        do {
            notes = try await db.migrate(at: Date(), finishing: finish)
        } catch {
            try? await db.close()
            throw error
        }
        try await db.close()
        // A step that waits says so in a note.
        for note in notes { print("note: \(note)") }
        if notes.isEmpty { print("the schema is complete") }
    }
}

struct Backup: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Copy the SQLite store to a new file, safely while the server runs (the master key is not in it).")
    @Option(help: "The file to write (must not exist).") var to: String
    @OptionGroup var store: StoreOptions

    func run() async throws {
        guard store.resolvedDatabaseURL == nil else { throw ValidationError(useThePostgresTools) }
        try SQLiteBackup.copy(from: storeFile(store.resolvedDataDir), to: to)
        print("backed up to \(to); keep the master key (TESSERA_MASTER_KEY or master.key in the data directory) apart from it:")
        print("the backup cannot be read without it, nor restored to a working server")
    }
}

struct Restore: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Restore a backup into a data directory that has no store yet.")
    @Option(help: "The backup file.") var from: String
    @OptionGroup var store: StoreOptions

    func run() async throws {
        guard store.resolvedDatabaseURL == nil else { throw ValidationError(useThePostgresTools) }
        let directory = store.resolvedDataDir
        let destination = storeFile(directory)
        guard !FileManager.default.fileExists(atPath: destination) else {
            throw ValidationError("\(destination) exists: restore into a data directory without a store (move the old one away first)")
        }
        try SQLiteBackup.verify(from)
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        try SQLiteBackup.copy(from: from, to: destination)
        print("restored into \(destination); start the server with the master key the backup was made under")
    }
}
