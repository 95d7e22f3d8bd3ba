import Foundation

/// Applies the schema steps a database lacks, in order, in one transaction that excludes every other migrator
/// (several instances may start at once).
enum Migrator {
    static let lockKey: Int64 = 7_365_727_261

    /// Returns the notes of code steps (conflicts they left for an operator).
    static func migrate(_ database: any SQLDatabase, at now: Date) async throws -> [String] {
        try await database.transaction(exclusive: lockKey) { db in
            var notes: [String] = []
            let d = db.dialect
            try await db.execute(SQL(raw: "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at \(d.int) NOT NULL)"))
            let applied = Set(try await db.read("SELECT version FROM schema_migrations").map { try $0.int("version") })
            for step in Schema.steps where !applied.contains(step.version) {
                if step.only == nil || step.only == d {
                    for statement in step.statements(d) { try await db.execute(SQL(raw: statement)) }
                    if let code = step.code { notes += try await code(db) }
                }
                try await db.execute("INSERT INTO schema_migrations (version, applied_at) VALUES (\(step.version), \(now))")
            }
            return notes
        }
    }

    /// The newest step this build knows.
    static var latestVersion: Int { Schema.steps.map(\.version).max() ?? 0 }
}
