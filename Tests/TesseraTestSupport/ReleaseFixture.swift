import Foundation
import TesseraCore
import TesseraCrypto
import TesseraStore

/// The databases that the release with schema step 5 (ccf2c29) wrote, with one of every record, and the
/// credentials they hold (`Tests/Fixtures/release-5`, made by its `make.py`).
public struct ReleaseFixture: Decodable, Sendable {
    public struct Admin: Decodable, Sendable {
        public var password: String
        public var authtoken: String
        public var guid: String
    }

    public struct Person: Decodable, Sendable {
        public var id: Int
        public var guid: String
        public var password: String
    }

    public struct ServerToken: Decodable, Sendable {
        public var id: Int
        public var key: String
        public var secret: String
        public var jwt: String
    }

    public struct KeyAndSecret: Decodable, Sendable {
        public var id: String
        public var secret: String
    }

    public struct OAuthToken: Decodable, Sendable {
        public var id: Int
        public var key: String
        public var secret: String
    }

    public struct Client: Decodable, Sendable {
        public var id: String
        public var secret: String
    }

    /// What one database holds.
    public struct Contents: Decodable, Sendable {
        public var public_url: String
        public var tenant_id: String
        public var admin: Admin
        public var people: [String: Person]
        public var alice_authtoken: String
        public var bob_revoked_authtoken: String
        public var server_token: ServerToken
        public var oauth_token: OAuthToken
        public var access_key: KeyAndSecret
        public var access_token: String
        public var spent_refresh_token: String
        public var live_refresh_token: String
        public var session_id: String
        public var backend_client: Client
        public var confidential_client: Client
        public var legacy_api_key: String
    }

    public var created: Int64
    public var master_key: String
    public var sqlite: Contents
    public var postgres: Contents

    public static let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("../Fixtures/release-5").standardizedFileURL

    public static func load() throws -> ReleaseFixture {
        try JSONDecoder().decode(ReleaseFixture.self, from: Data(contentsOf: directory.appendingPathComponent("fixture.json")))
    }

    public var masterKey: MasterKey { MasterKey(hex: master_key)! }

    /// A copy of the SQLite database, opened (not yet migrated).
    public func openSQLite() throws -> any Store {
        let dir = try TestDirectory.make("release5")
        let copy = dir.appendingPathComponent("tessera.sqlite")
        try FileManager.default.copyItem(at: Self.directory.appendingPathComponent("tessera.sqlite"), to: copy)
        return try SQLStore.sqlite(path: copy.path)
    }

    /// A new PostgreSQL database loaded from the dump with psql, opened (not yet migrated); nil when no test
    /// PostgreSQL is configured and none is required.
    public func openPostgres() async throws -> (any Store)? {
        guard let url = try await StoreFixtures.newPostgresDatabase() else { return nil }
        guard let parts = URLComponents(string: url), let host = parts.host, let port = parts.port else { throw FixtureError("bad URL") }
        let psql = Self.psql()
        let process = Process()
        process.executableURL = URL(fileURLWithPath: psql)
        process.arguments = ["-q", "-v", "ON_ERROR_STOP=1", "-h", host, "-p", String(port), "-U", parts.user ?? "tessera",
                             "-d", String(parts.path.dropFirst()), "-f", Self.directory.appendingPathComponent("tessera.pgdump.sql").path]
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else { throw FixtureError("psql could not load the dump (\(psql))") }
        return try SQLStore.postgres(url: url, logger: StoreFixtures.logger)
    }

    /// psql on PATH, else the newest under /usr/lib/postgresql.
    static func psql() -> String {
        for dir in (ProcessInfo.processInfo.environment["PATH"] ?? "").split(separator: ":") {
            let candidate = "\(dir)/psql"
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        let versions = (try? FileManager.default.contentsOfDirectory(atPath: "/usr/lib/postgresql")) ?? []
        return versions.sorted { $0.compare($1, options: .numeric) == .orderedAscending }.last.map { "/usr/lib/postgresql/\($0)/bin/psql" } ?? "psql"
    }

    public struct FixtureError: Error, CustomStringConvertible {
        public var description: String
        init(_ description: String) { self.description = description }
    }
}
