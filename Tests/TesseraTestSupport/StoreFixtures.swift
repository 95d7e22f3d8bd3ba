import Foundation
import Logging
import PostgresNIO
import TesseraCore
import TesseraCrypto
import TesseraStore

/// The two stores the contract runs on.
public enum StoreKind: String, CaseIterable, CustomStringConvertible, Sendable {
    case sqlite
    case postgres
    public var description: String { rawValue }
}

/// PostgreSQL is required (scripts/test sets TESSERA_TEST_REQUIRE_POSTGRES) but not configured.
public struct PostgresNotConfigured: Error, CustomStringConvertible {
    public var description: String { "TESSERA_TEST_POSTGRES_ADMIN_URL is not set" }
}

/// Opens a fresh, empty, migrated store of each kind: a new SQLite file, or a new PostgreSQL database on the
/// server named by TESSERA_TEST_POSTGRES_ADMIN_URL (set by scripts/test).
public enum StoreFixtures {
    public static let logger = Logger(label: "store-tests")

    public static var postgresAdminURL: String? { ProcessInfo.processInfo.environment["TESSERA_TEST_POSTGRES_ADMIN_URL"] }

    /// nil when PostgreSQL is not configured and not required (a plain `swift test`); a thrown error when
    /// scripts/test required it.
    public static func make(_ kind: StoreKind) async throws -> (any Store)? {
        switch kind {
        case .sqlite:
            let dir = try TestDirectory.make("store")
            let store = try SQLStore.sqlite(path: dir.appendingPathComponent("t.sqlite").path)
            try await migrateNew(store)
            return store
        case .postgres:
            guard let url = try await newPostgresDatabase() else { return nil }
            let store = try SQLStore.postgres(url: url, logger: logger)
            try await migrateNew(store)
            return store
        }
    }

    /// A new database takes every step at once, the contract steps too (no older instance can serve it): nothing
    /// waits and there is nothing to report.
    private static func migrateNew(_ store: any Store) async throws {
        let notes = try await store.migrate(at: Date())
        guard notes.isEmpty else { throw ReleaseFixture.FixtureError("a new database's migration left notes: \(notes)") }
    }

    /// Creates an empty database and returns its URL.
    public static func newPostgresDatabase() async throws -> String? {
        guard let admin = postgresAdminURL else {
            if ProcessInfo.processInfo.environment["TESSERA_TEST_REQUIRE_POSTGRES"] != nil { throw PostgresNotConfigured() }
            return nil
        }
        let name = "contract_" + UUID().uuidString.replacingOccurrences(of: "-", with: "").prefix(12).lowercased()
        let client = PostgresClient(configuration: try PostgresURL.configuration(admin), backgroundLogger: logger)
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await client.run() }
            try await client.query(PostgresQuery(unsafeSQL: "CREATE DATABASE \(name)"), logger: logger)
            group.cancelAll()
        }
        return admin.replacingOccurrences(of: "/postgres", with: "/\(name)")
    }

    public static func site(hostnames: [String] = [], isDefault: Bool = false) -> Site {
        Site(id: UUID(), name: "Site", hostnames: hostnames, isDefault: isDefault, authTokenKey: Secrets.randomBytes(32),
             createdAt: Date(timeIntervalSince1970: 1_800_000_000))
    }

    public static func user(site: Site, id: Int = 0, username: String, role: Role = .viewer, status: UserStatus = .active) -> User {
        User(siteID: site.id, id: id, guid: UUID(), username: username, email: "\(username)@example.com", fullName: "Full \(username)",
             status: status, hasSeat: true, roleName: role.name, passwordHash: "$argon2id$v=19$m=64,t=1,p=1$c2FsdHNhbHQ$aGFzaA",
             securityStamp: Secrets.randomHex(8), createdAt: Date(timeIntervalSince1970: 1_800_000_000), lastLoginAt: nil)
    }

    public static func firstUsers(_ site: Site) -> [User] {
        [user(site: site, id: User.firstAdminID, username: "admin", role: .admin),
         user(site: site, id: User.anonymousID, username: User.anonymousUsername, role: .anonymous)]
    }
}
