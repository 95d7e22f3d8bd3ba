import Foundation
import Testing
@testable import TesseraStore
import TesseraCore
import TesseraTestSupport

/// SQLite's group commit: concurrent transactions share one flush, each answers only once its work is committed,
/// and a failure rolls back its own transaction and nothing else.
@Suite struct SQLiteGroupCommitTests {
    struct Refused: Error {}

    private func database() throws -> (SQLiteDatabase, URL) {
        let directory = try TestDirectory.make("group")
        let database = try SQLiteDatabase(path: directory.appendingPathComponent("t.sqlite").path)
        return (database, directory)
    }

    @Test func concurrentTransactionsShareCommitsAndFailOnlyThemselves() async throws {
        let (database, directory) = try database()
        defer { try? FileManager.default.removeItem(at: directory) }
        try await database.execute("CREATE TABLE t (x INTEGER NOT NULL UNIQUE, y INTEGER NOT NULL)")
        let synchronous = try await database.write("PRAGMA synchronous").first?.int("synchronous")
        #expect(synchronous == 2, "every commit is flushed (FULL)")
        let before = database.commits.load(ordering: .relaxed)

        // 300 transactions at once, of two statements each: every 10th throws after its inserts, every 7th (not
        // 10th) inserts a value already taken by its second statement and fails on the uniqueness constraint.
        let outcomes = try await withThrowingTaskGroup(of: (Int, String).self) { group in
            for i in 1...300 {
                group.addTask {
                    do {
                        try await database.transaction { tx in
                            try await tx.execute("INSERT INTO t (x, y) VALUES (\(i), 1)")
                            try await tx.execute("INSERT INTO t (x, y) VALUES (\(i % 7 == 0 && i % 10 != 0 ? i : 10_000 + i), 2)")
                            if i % 10 == 0 { throw Refused() }
                        }
                    } catch is Refused {
                        return (i, "refused")
                    } catch StoreError.conflict {
                        return (i, "conflict")
                    }
                    // Answered only once committed: a reader (another connection) sees both rows now.
                    let seen = try await database.read("SELECT count(*) AS n FROM t WHERE x IN (\(i), \(10_000 + i))").first?.int("n")
                    return (i, seen == 2 ? "committed" : "not visible")
                }
            }
            var all: [Int: String] = [:]
            for try await (i, outcome) in group { all[i] = outcome }
            return all
        }
        let expected = Dictionary(uniqueKeysWithValues: (1...300).map { i in
            (i, i % 10 == 0 ? "refused" : i % 7 == 0 ? "conflict" : "committed")
        })
        #expect(outcomes == expected)
        let stored = try await database.read("SELECT x FROM t WHERE x < 10000 ORDER BY x").map { try $0.int("x") }
        #expect(stored == (1...300).filter { $0 % 10 != 0 && $0 % 7 != 0 })
        let partners = try await database.read("SELECT count(*) AS n FROM t WHERE x > 10000").first?.int("n")
        #expect(partners == stored.count, "a failed transaction left none of its statements behind")
        // Groups formed: far fewer flushes than transactions.
        let commits = database.commits.load(ordering: .relaxed) - before
        #expect(commits >= 1 && commits < 300, "\(commits) commits for 300 concurrent transactions")
        try await database.close()
    }

    /// A transaction that runs no statement, alone or inside a group, disturbs nothing, and one whose first
    /// statement fails undoes only itself.
    @Test func transactionsWithoutStatementsOrWithAFailingFirstOneDisturbNothing() async throws {
        let (database, directory) = try database()
        defer { try? FileManager.default.removeItem(at: directory) }
        try await database.execute("CREATE TABLE t (x INTEGER NOT NULL UNIQUE)")
        try await database.execute("INSERT INTO t (x) VALUES (0)")
        #expect(try await database.transaction { _ in 42 } == 42)
        await #expect(throws: Refused.self) { try await database.transaction { _ in throw Refused() } }
        await #expect(throws: StoreError.self) { try await database.execute("INSERT INTO t (x) VALUES (0)") }

        let outcomes = try await withThrowingTaskGroup(of: (Int, String).self) { group in
            for i in 1...150 {
                group.addTask {
                    do {
                        try await database.transaction { tx in
                            switch i % 5 {
                            case 0: throw Refused()  // no statement, fails
                            case 1: return  // no statement, succeeds
                            case 2: try await tx.execute("INSERT INTO t (x) VALUES (0)")  // the first statement fails
                            default: try await tx.execute("INSERT INTO t (x) VALUES (\(i))")
                            }
                        }
                    } catch is Refused {
                        return (i, "refused")
                    } catch StoreError.conflict {
                        return (i, "conflict")
                    }
                    return (i, "done")
                }
            }
            var all: [Int: String] = [:]
            for try await (i, outcome) in group { all[i] = outcome }
            return all
        }
        #expect(outcomes == Dictionary(uniqueKeysWithValues: (1...150).map { i in (i, [0: "refused", 2: "conflict"][i % 5] ?? "done") }))
        let stored = try await database.read("SELECT x FROM t WHERE x > 0 ORDER BY x").map { try $0.int("x") }
        #expect(stored == (1...150).filter { $0 % 5 == 3 || $0 % 5 == 4 })
        try await database.execute("INSERT INTO t (x) VALUES (1000)")
        #expect(try await database.read("SELECT count(*) AS n FROM t WHERE x = 1000").first?.int("n") == 1)
        try await database.close()
    }

    @Test func aLoneWriteCommitsAtOnce() async throws {
        let (database, directory) = try database()
        defer { try? FileManager.default.removeItem(at: directory) }
        try await database.execute("CREATE TABLE t (x INTEGER)")
        let before = database.commits.load(ordering: .relaxed)
        for i in 1...5 {
            try await database.execute("INSERT INTO t (x) VALUES (\(i))")
            #expect(database.commits.load(ordering: .relaxed) - before == i)
        }
        try await database.close()
    }
}
