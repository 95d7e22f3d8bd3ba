import Foundation

/// Applies the schema steps a database lacks, in order, in one transaction that excludes every other migrator
/// (several instances may start at once).
enum Migrator {
    static let lockKey: Int64 = 7_365_727_261

    /// Returns the notes of code steps (conflicts they left for an operator) and, when contract steps wait, a note
    /// saying how to finish.
    ///
    /// Contract steps (`Schema.Step.contract`) change what an older release reads or writes, so while older instances
    /// may still serve beside this one they wait for `finishing` (`tessera migrate --finish`). They run at once on a
    /// new database and on SQLite, where no older instance can share the store.
    static func migrate(_ database: any SQLDatabase, at now: Date, finishing: Bool) async throws -> [String] {
        try await database.transaction(exclusive: lockKey) { db in
            var notes: [String] = []
            let d = db.dialect
            try await db.execute(SQL(raw: "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at \(d.int) NOT NULL)"))
            let applied = try await appliedVersions(db)
            let contractNow = finishing || applied.isEmpty || d == .sqlite
            var waiting: [Int] = []
            for step in Schema.steps where !applied.contains(step.version) {
                if step.contract && !contractNow {
                    waiting.append(step.version)
                    continue
                }
                if step.only == nil || step.only == d {
                    for statement in step.statements(d) { try await db.execute(SQL(raw: statement)) }
                    if let code = step.code { notes += try await code(db) }
                }
                try await db.execute("INSERT INTO schema_migrations (version, applied_at) VALUES (\(step.version), \(now))")
            }
            if !waiting.isEmpty {
                notes.append("schema steps \(waiting.map(String.init).joined(separator: ", ")) wait until no instance of an older release "
                             + "serves this database: then run `tessera migrate --finish` (until then both schemas work)")
            }
            return notes
        }
    }

    /// Whether a contract step is still waiting, that is, whether an instance of an older release may serve this
    /// database beside this one.
    static func contractStepsWait(_ database: any SQLDatabase) async throws -> Bool {
        let applied = try await appliedVersions(database)
        return Schema.steps.contains { $0.contract && !applied.contains($0.version) }
    }

    private static func appliedVersions(_ db: any SQLExecutor) async throws -> Set<Int> {
        Set(try await db.read("SELECT version FROM schema_migrations").map { try $0.int("version") })
    }

    /// The newest step this build knows.
    static var latestVersion: Int { Schema.steps.map(\.version).max() ?? 0 }
}
