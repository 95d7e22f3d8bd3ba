import Foundation
import GRDB
import Synchronization
import TesseraCore
import TesseraCrypto

/// SQLite through GRDB: one file in WAL mode. Reads run concurrently on GRDB's readers; writes run on its one
/// writer connection, one transaction at a time. One process owns the file, so its own writes are all the changes
/// there are: they are announced in process after they commit.
///
/// Durability: every commit reaches the disk before its caller goes on (`synchronous = FULL`: the WAL is flushed at
/// each commit), so an answer built on a write survives `kill -9` and power loss. A flush costs milliseconds, so
/// concurrent writes commit in groups: a transaction that finishes while others wait for the writer leaves its work
/// in the open transaction (released from its own savepoint) and waits; the one that finds nobody waiting — or the
/// group full, or old — commits them all with one flush. A failure inside one transaction rolls back its savepoint
/// only; a failure SQLite answers by rolling back everything (a full disk, an I/O error) fails the whole group, none
/// of which has answered yet.
final class SQLiteDatabase: SQLDatabase {
    let pool: DatabasePool
    let changes = ChangeFeed(live: true)
    let dialect = SQLDialect.sqlite
    /// A transaction's body awaits between its statements; the lock keeps every other write off the connection
    /// until it commits or rolls back.
    private let writer = AsyncLock()
    /// The group of finished transactions waiting for one commit (touched only by the holder of `writer`).
    private let group = Mutex<CommitGroup?>(nil)
    /// A group commits when nobody waits for the writer, or when it is this large or this old.
    private static let groupLimit = 64
    private static let groupAge: Duration = .milliseconds(10)
    /// Commits made so far (each one flush), to show that groups form.
    let commits = Atomic<Int>(0)

    init(path: String) throws {
        var config = Configuration()
        config.foreignKeysEnabled = true
        // Another process (a command beside the server) may hold the write lock briefly.
        config.busyMode = .timeout(5)
        // Transactions span several calls onto the writer connection (see `writer`).
        config.allowsUnsafeTransactions = true
        pool = try DatabasePool(path: path, configuration: config)
        // GRDB chooses NORMAL in WAL mode (a commit may be lost to power loss); Tessera's answers must not be.
        try pool.writeWithoutTransaction { db in try db.execute(sql: "PRAGMA synchronous = FULL") }
    }

    func read(_ sql: SQL) async throws -> [SQLRow] {
        let (text, binds) = try sql.rendered(for: .sqlite)
        return try await Self.mapErrors { try await self.pool.read { db in try Self.rows(db, text, binds) } }
    }

    func write(_ sql: SQL) async throws -> [SQLRow] {
        try await transaction(exclusive: nil) { tx in try await tx.write(sql) }
    }

    func execute(_ sql: SQL) async throws -> Int {
        try await transaction(exclusive: nil) { tx in try await tx.execute(sql) }
    }

    /// Outside a transaction the write has committed already.
    func announce(_ change: StoreChange) async throws { changes.publish(change) }

    func transaction<T: Sendable>(exclusive key: Int64?, _ body: @Sendable (any SQLExecutor) async throws -> T) async throws -> T {
        let (outcome, ticket) = try await writer.withLock { () -> (Result<T, any Error>, CommitGroup.Ticket?) in
            let current = try await self.openGroup()
            try await self.onWriter { db in try db.cachedStatement(sql: "SAVEPOINT work").execute() }
            let transaction = Transaction(database: self)
            let outcome: Result<T, any Error>
            var ticket: CommitGroup.Ticket?
            do {
                let result = try await body(transaction)
                try await self.onWriter { db in try db.cachedStatement(sql: "RELEASE work").execute() }
                ticket = current.add(transaction.announced)
                outcome = .success(result)
            } catch {
                let kept = try? await self.onWriter { db -> Bool in
                    guard db.isInsideTransaction else { return false }
                    try db.execute(sql: "ROLLBACK TO work")
                    try db.execute(sql: "RELEASE work")
                    return true
                }
                guard kept == true else {
                    // SQLite rolled everything back (or the rollback failed): the group's work is gone with it.
                    await self.abandon(current)
                    return (.failure(error), nil)
                }
                outcome = .failure(error)
            }
            // Whoever finishes when nobody waits commits the group (also one of failures only: it holds the lock).
            if await self.isTimeToCommit(current) {
                do {
                    try await self.commit(current)
                } catch {
                    if case .success = outcome { throw error }  // a failed transaction keeps its own error
                }
            }
            return (outcome, ticket)
        }
        // Unless this transaction committed its group itself, another one commits it; the answer waits for that flush.
        try await ticket?.wait()
        return try outcome.get()
    }

    private func isTimeToCommit(_ current: CommitGroup) async -> Bool {
        let contended = await writer.isContended
        return !contended || current.count >= Self.groupLimit || ContinuousClock.now - current.opened >= Self.groupAge
    }

    /// The group this transaction joins: the open one, or a new one with its BEGIN.
    private func openGroup() async throws -> CommitGroup {
        if let open = group.withLock({ $0 }) { return open }
        try await onWriter { db in try db.cachedStatement(sql: "BEGIN IMMEDIATE").execute() }
        let fresh = CommitGroup()
        group.withLock { $0 = fresh }
        return fresh
    }

    /// Commits a group, then lets its waiting transactions answer and announces what they changed.
    private func commit(_ current: CommitGroup) async throws {
        group.withLock { $0 = nil }
        do {
            try await onWriter { db in try db.cachedStatement(sql: "COMMIT").execute() }
        } catch {
            try? await onWriter { db in if db.isInsideTransaction { try db.execute(sql: "ROLLBACK") } }
            current.finish(.failure(error))
            throw error
        }
        commits.add(1, ordering: .relaxed)
        for change in current.changes { changes.publish(change) }
        current.finish(.success(()))
    }

    /// SQLite rolled the whole transaction back (or it cannot be trusted): every transaction of the group fails.
    private func abandon(_ current: CommitGroup) async {
        group.withLock { $0 = nil }
        try? await onWriter { db in if db.isInsideTransaction { try db.execute(sql: "ROLLBACK") } }
        current.finish(.failure(StoreError.unavailable("a write failed and took its group's uncommitted work with it")))
    }

    func close() async throws { try pool.close() }

    // MARK: The writer connection (callers hold `writer`)

    fileprivate func writeUnlocked(_ sql: SQL) async throws -> [SQLRow] {
        let (text, binds) = try sql.rendered(for: .sqlite)
        return try await onWriter { db in try Self.rows(db, text, binds) }
    }

    fileprivate func executeUnlocked(_ sql: SQL) async throws -> Int {
        let (text, binds) = try sql.rendered(for: .sqlite)
        return try await onWriter { db in
            try db.cachedStatement(sql: text).execute(arguments: Self.arguments(binds))
            return db.changesCount
        }
    }

    fileprivate func onWriter<T: Sendable>(_ work: @escaping @Sendable (Database) throws -> T) async throws -> T {
        try await Self.mapErrors { try await self.pool.writeWithoutTransaction(work) }
    }

    /// What a transaction runs its statements on: the writer connection, which it holds.
    private final class Transaction: SQLExecutor {
        let database: SQLiteDatabase
        private let pending = Mutex<[StoreChange]>([])
        var dialect: SQLDialect { .sqlite }
        var announced: [StoreChange] { pending.withLock { $0 } }

        init(database: SQLiteDatabase) { self.database = database }

        func read(_ sql: SQL) async throws -> [SQLRow] { try await database.writeUnlocked(sql) }
        func write(_ sql: SQL) async throws -> [SQLRow] { try await database.writeUnlocked(sql) }
        func execute(_ sql: SQL) async throws -> Int { try await database.executeUnlocked(sql) }
        func announce(_ change: StoreChange) async throws { pending.withLock { $0.append(change) } }
    }

    /// Transactions done and waiting for one commit, and the changes they announce when it comes.
    private final class CommitGroup: Sendable {
        let opened = ContinuousClock.now
        private let state = Mutex<(tickets: [Ticket], changes: [StoreChange])>(([], []))

        var count: Int { state.withLock { $0.tickets.count } }
        var changes: [StoreChange] { state.withLock { $0.changes } }

        func add(_ announced: [StoreChange]) -> Ticket {
            let ticket = Ticket()
            state.withLock {
                $0.tickets.append(ticket)
                $0.changes += announced
            }
            return ticket
        }

        func finish(_ outcome: Result<Void, any Error>) {
            for ticket in state.withLock({ $0.tickets }) { ticket.settle(outcome) }
        }

        /// One transaction's wait for its group's commit, which may come before the wait starts.
        final class Ticket: Sendable {
            private let state = Mutex<(outcome: Result<Void, any Error>?, waiter: CheckedContinuation<Void, any Error>?)>((nil, nil))

            func settle(_ outcome: Result<Void, any Error>) {
                let waiter = state.withLock { state -> CheckedContinuation<Void, any Error>? in
                    guard state.outcome == nil else { return nil }
                    state.outcome = outcome
                    defer { state.waiter = nil }
                    return state.waiter
                }
                waiter?.resume(with: outcome)
            }

            func wait() async throws {
                try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                    let settled = state.withLock { state -> Result<Void, any Error>? in
                        if let outcome = state.outcome { return outcome }
                        state.waiter = continuation
                        return nil
                    }
                    if let settled { continuation.resume(with: settled) }
                }
            }
        }
    }

    // MARK: Values

    private static func arguments(_ binds: [SQLValue]) -> StatementArguments {
        StatementArguments(binds.map { value -> (any DatabaseValueConvertible)? in
            switch value {
            case .null: nil
            case .int(let n): n
            case .text(let s): s
            case .bytes(let b): Data(b)
            case .bool(let b): b ? Int64(1) : Int64(0)
            case .uuid(let u): u.lowercasedString
            case .inferred(let s): s
            }
        })
    }

    /// Statements are prepared once per connection and kept (GRDB's statement cache): their texts are few, since
    /// every value is a bind and `raw:` splices only names chosen by code.
    private static func rows(_ db: Database, _ text: String, _ binds: [SQLValue]) throws -> [SQLRow] {
        try Row.fetchAll(db.cachedStatement(sql: text), arguments: arguments(binds)).map { row in
            SQLRow(names: Array(row.columnNames), values: row.databaseValues.map { value in
                switch value.storage {
                case .null: .null
                case .int64(let n): .int(n)
                case .double(let d): .int(Int64(d))
                case .string(let s): .text(s)
                case .blob(let data): .bytes(Array(data))
                }
            })
        }
    }

    /// SQLite's uniqueness failures are `StoreError.conflict`; a full disk, a read-only or unopenable file, an I/O
    /// error and a write lock held past the busy timeout are `StoreError.unavailable` (the transaction rolled back).
    private static func mapErrors<T>(_ body: () async throws -> T) async throws -> T {
        do {
            return try await body()
        } catch let error as DatabaseError
            where error.extendedResultCode == .SQLITE_CONSTRAINT_UNIQUE || error.extendedResultCode == .SQLITE_CONSTRAINT_PRIMARYKEY {
            throw StoreError.conflict(error.message ?? "unique constraint")
        } catch let error as DatabaseError where unavailable.contains(error.resultCode) {
            throw StoreError.unavailable("the database file cannot be written now")
        }
    }

    private static let unavailable: [ResultCode] = [.SQLITE_FULL, .SQLITE_READONLY, .SQLITE_IOERR, .SQLITE_CANTOPEN, .SQLITE_BUSY, .SQLITE_LOCKED, .SQLITE_NOMEM]
}
