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
        subcommands: [Serve.self, SiteCommand.self]
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
    @OptionGroup var store: StoreOptions

    func run() async throws {
        let port = port ?? env("TESSERA_PORT").map({ Int($0) ?? -1 }) ?? 8080
        guard (0...65535).contains(port) else {
            throw ValidationError("port must be 0 to 65535")
        }
        let lifetime = authTokenLifetime ?? env("TESSERA_AUTHTOKEN_LIFETIME").flatMap { Int64($0) } ?? 561_600
        guard lifetime > 0 else { throw ValidationError("auth token lifetime must be positive") }
        let signatureWindow = self.signatureWindow ?? env("TESSERA_SIGNATURE_WINDOW").flatMap { Int64($0) } ?? 300
        guard (1...86_400).contains(signatureWindow) else { throw ValidationError("signature window must be 1 to 86400 seconds") }
        let publicURL = publicURL ?? env("TESSERA_PUBLIC_URL")
        if let publicURL {
            guard let url = URLComponents(string: publicURL), ["http", "https"].contains(url.scheme ?? ""), url.host != nil else {
                throw ValidationError("public URL must be an http or https URL")
            }
        }
        let configuration = ServerConfiguration(
            host: host ?? env("TESSERA_HOST") ?? "127.0.0.1", port: port, dataDirectory: store.resolvedDataDir,
            publicURL: publicURL, databaseURL: store.resolvedDatabaseURL, adminPassword: env("TESSERA_ADMIN_PASSWORD"),
            authTokenLifetime: lifetime, masterKey: env("TESSERA_MASTER_KEY"), signatureWindow: signatureWindow
        )
        try await TesseraServerRunner.run(configuration, logger: makeLogger())
    }
}

struct SiteCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "site", abstract: "Manage sites (tenants).", subcommands: [Create.self, List.self]
    )

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Create a site answering on the given host names.")
        @Option(help: "Site name.") var name: String
        @Option(name: .customLong("hostname"), help: "Host name routed to this site (repeatable).") var hostnames: [String]
        @OptionGroup var store: StoreOptions

        func run() async throws {
            let logger = makeLogger()
            let db = try StoreFactory.open(databaseURL: store.resolvedDatabaseURL, dataDirectory: store.resolvedDataDir, logger: logger)
            defer { Task { try? await db.close() } }
            try await db.migrate()
            let created = try await SiteService(store: db, hasher: PasswordHasher())
                .createSite(name: name, hostnames: hostnames, adminPassword: env("TESSERA_ADMIN_PASSWORD"))
            print("Created site \(created.site.id.lowercasedString) (\(created.site.hostnames.joined(separator: ", ")))")
            if let password = created.generatedPassword {
                print("Its administrator 'admin' has the password: \(password) (shown once)")
            }
            try await db.close()
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List sites.")
        @OptionGroup var store: StoreOptions

        func run() async throws {
            let db = try StoreFactory.open(databaseURL: store.resolvedDatabaseURL, dataDirectory: store.resolvedDataDir, logger: makeLogger())
            try await db.migrate()
            for site in try await db.sites() {
                print("\(site.id.lowercasedString)\t\(site.name)\t\(site.isDefault ? "default" : "-")\t\(site.hostnames.joined(separator: ","))")
            }
            try await db.close()
        }
    }
}
