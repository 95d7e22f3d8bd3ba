import Foundation
import Logging
import PostgresNIO
import Testing
@testable import TesseraStore
import TesseraCore
import TesseraCrypto

/// The two stores the contract runs on.
enum StoreKind: String, CaseIterable, CustomTestStringConvertible, Sendable {
    case sqlite
    case postgres
    var testDescription: String { rawValue }
}

/// Opens a fresh, empty, migrated store of each kind: a new SQLite file, or a new PostgreSQL database on the
/// server named by TESSERA_TEST_POSTGRES_ADMIN_URL (set by scripts/test).
enum StoreFixtures {
    static let logger = Logger(label: "store-tests")

    static var postgresAdminURL: String? { ProcessInfo.processInfo.environment["TESSERA_TEST_POSTGRES_ADMIN_URL"] }

    /// nil when PostgreSQL is not configured and not required (a plain `swift test`); a recorded failure when
    /// scripts/test required it.
    static func make(_ kind: StoreKind, sourceLocation: SourceLocation = #_sourceLocation) async throws -> (any Store)? {
        switch kind {
        case .sqlite:
            let dir = FileManager.default.temporaryDirectory.appendingPathComponent("tessera-store-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
            let store = try SQLiteStore(path: dir.appendingPathComponent("t.sqlite").path)
            try await store.migrate()
            return store
        case .postgres:
            guard let url = try await newPostgresDatabase(sourceLocation: sourceLocation) else { return nil }
            let store = try PostgresStore(url: url, logger: logger)
            try await store.migrate()
            return store
        }
    }

    /// Creates an empty database and returns its URL.
    static func newPostgresDatabase(sourceLocation: SourceLocation = #_sourceLocation) async throws -> String? {
        guard let admin = postgresAdminURL else {
            if ProcessInfo.processInfo.environment["TESSERA_TEST_REQUIRE_POSTGRES"] != nil {
                Issue.record("TESSERA_TEST_POSTGRES_ADMIN_URL is not set", sourceLocation: sourceLocation)
            }
            return nil
        }
        let name = "contract_" + UUID().uuidString.replacingOccurrences(of: "-", with: "").prefix(12).lowercased()
        let client = PostgresClient(configuration: try PostgresStore.configuration(admin), backgroundLogger: logger)
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await client.run() }
            try await client.query(PostgresQuery(unsafeSQL: "CREATE DATABASE \(name)"), logger: logger)
            group.cancelAll()
        }
        return admin.replacingOccurrences(of: "/postgres", with: "/\(name)")
    }

    static func site(hostnames: [String] = [], isDefault: Bool = false) -> Site {
        Site(id: UUID(), name: "Site", hostnames: hostnames, isDefault: isDefault, authTokenKey: Secrets.randomBytes(32),
             createdAt: Date(timeIntervalSince1970: 1_800_000_000))
    }

    static func user(site: Site, id: Int = 0, username: String, role: Role = .viewer, status: UserStatus = .active) -> User {
        User(siteID: site.id, id: id, guid: UUID(), username: username, email: "\(username)@example.com", fullName: "Full \(username)",
             status: status, hasSeat: true, roleName: role.name, passwordHash: "$argon2id$v=19$m=64,t=1,p=1$c2FsdHNhbHQ$aGFzaA",
             securityStamp: Secrets.randomHex(8), createdAt: Date(timeIntervalSince1970: 1_800_000_000), lastLoginAt: nil)
    }

    static func firstUsers(_ site: Site) -> [User] {
        [user(site: site, id: User.firstAdminID, username: "admin", role: .admin),
         user(site: site, id: User.anonymousID, username: User.anonymousUsername, role: .anonymous)]
    }
}
