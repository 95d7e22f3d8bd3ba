import Foundation
import Logging
import TesseraCore
import TesseraCrypto

/// The store: every record of every aggregate, with statements written once over a SQL driver — SQLite (one file,
/// embedded) or PostgreSQL (any number of instances). The aggregates live in one file each (`SiteRecords.swift`,
/// `UserRecords.swift`, ...).
public final class SQLStore: StoreLifecycle {
    let db: any SQLDatabase

    init(_ database: any SQLDatabase) { db = database }

    /// The embedded store: the SQLite file at `path`, created when missing.
    public static func sqlite(path: String) throws -> SQLStore { SQLStore(try SQLiteDatabase(path: path)) }

    /// The shared store: the PostgreSQL database a `postgres://user:password@host:port/database?sslmode=...` URL
    /// names (connected lazily).
    public static func postgres(url: String, logger: Logger) throws -> SQLStore { SQLStore(try PostgresDatabase(url: url, logger: logger)) }

    public var changes: ChangeFeed { db.changes }

    public func migrate(at now: Date, finishing: Bool) async throws -> [String] { try await Migrator.migrate(db, at: now, finishing: finishing) }

    public func olderReleasesMayServe() async throws -> Bool { try await Migrator.contractStepsWait(db) }

    public func ping() async throws { _ = try await db.read("SELECT 1 AS one") }

    public func close() async throws { try await db.close() }

    public func masterKeyFingerprint(proposed: String) async throws -> String {
        try await db.execute("INSERT INTO server_settings (name, value) VALUES ('master_key_fingerprint', \(proposed)) ON CONFLICT (name) DO NOTHING")
        return try await db.readOne("SELECT value FROM server_settings WHERE name = 'master_key_fingerprint'")?.string("value") ?? proposed
    }

    /// Runs one change that must find its row, and announces it when it commits. Throws `StoreError.notFound`
    /// when the statement changed nothing.
    func update(_ sql: SQL, announcing change: StoreChange?) async throws {
        guard try await changed(sql, announcing: change) else { throw StoreError.notFound }
    }

    /// Runs one change (conditional, as a rule) and says whether it changed a row; only then is it announced.
    func changed(_ sql: SQL, announcing change: StoreChange?) async throws -> Bool {
        try await db.transaction { tx in
            let changed = try await tx.execute(sql) > 0
            if changed, let change { try await tx.announce(change) }
            return changed
        }
    }

    /// Takes the next value of one of a site's counters (`next_user_id`, `next_token_id`).
    static func nextID(_ counter: String, site: UUID, on tx: any SQLExecutor) async throws -> Int {
        let rows = try await tx.write("UPDATE sites SET \(raw: counter) = \(raw: counter) + 1 WHERE id = \(site) RETURNING \(raw: counter) - 1 AS assigned")
        guard let row = rows.first else { throw StoreError.notFound }
        return try row.int("assigned")
    }
}

/// Lists (URIs, origins, contacts) are kept as JSON arrays: a URI may contain commas.
enum StoredList {
    static func encode(_ items: [String]) -> String {
        String(decoding: (try? JSONEncoder().encode(items)) ?? Data("[]".utf8), as: UTF8.self)
    }

    static func decode(_ text: String) -> [String] {
        (try? JSONDecoder().decode([String].self, from: Data(text.utf8))) ?? []
    }
}
