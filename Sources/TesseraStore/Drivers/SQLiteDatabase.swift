import Foundation
import GRDB
import Synchronization
import TesseraCore
import TesseraCrypto

/// SQLite through GRDB: one file in WAL mode. Reads run concurrently on GRDB's readers; writes run on its one
/// writer connection, one transaction at a time. One process owns the file, so its own writes are all the changes
/// there are: they are announced in process after they commit.
final class SQLiteDatabase: SQLDatabase {
    let pool: DatabasePool
    let changes = ChangeFeed(live: true)
    let dialect = SQLDialect.sqlite
    /// A transaction's body awaits between its statements; the lock keeps every other write off the connection
    /// until it commits or rolls back.
    private let writer = AsyncLock()

    init(path: String) throws {
        var config = Configuration()
        config.foreignKeysEnabled = true
        // Another process (a command beside the server) may hold the write lock briefly.
        config.busyMode = .timeout(5)
        // Transactions span several calls onto the writer connection (see `writer`).
        config.allowsUnsafeTransactions = true
        pool = try DatabasePool(path: path, configuration: config)
    }

    func read(_ sql: SQL) async throws -> [SQLRow] {
        let (text, binds) = sql.rendered(for: .sqlite)
        return try await Self.mapErrors { try await self.pool.read { db in try Self.rows(db, text, binds) } }
    }

    func write(_ sql: SQL) async throws -> [SQLRow] {
        try await writer.withLock { try await self.writeUnlocked(sql) }
    }

    func execute(_ sql: SQL) async throws -> Int {
        try await writer.withLock { try await self.executeUnlocked(sql) }
    }

    /// Outside a transaction the write has committed already.
    func announce(_ change: StoreChange) async throws { changes.publish(change) }

    func transaction<T: Sendable>(exclusive key: Int64?, _ body: @Sendable (any SQLExecutor) async throws -> T) async throws -> T {
        // BEGIN IMMEDIATE takes SQLite's write lock at once: transactions are exclusive among writers anyway.
        try await writer.withLock {
            try await self.onWriter { db in try db.execute(sql: "BEGIN IMMEDIATE") }
            let transaction = Transaction(database: self)
            do {
                let result = try await body(transaction)
                try await self.onWriter { db in try db.execute(sql: "COMMIT") }
                for change in transaction.announced { self.changes.publish(change) }
                return result
            } catch {
                try? await self.onWriter { db in if db.isInsideTransaction { try db.execute(sql: "ROLLBACK") } }
                throw error
            }
        }
    }

    func close() async throws { try pool.close() }

    // MARK: The writer connection (callers hold `writer`)

    fileprivate func writeUnlocked(_ sql: SQL) async throws -> [SQLRow] {
        let (text, binds) = sql.rendered(for: .sqlite)
        return try await onWriter { db in try Self.rows(db, text, binds) }
    }

    fileprivate func executeUnlocked(_ sql: SQL) async throws -> Int {
        let (text, binds) = sql.rendered(for: .sqlite)
        return try await onWriter { db in
            try db.execute(sql: text, arguments: Self.arguments(binds))
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
            }
        })
    }

    private static func rows(_ db: Database, _ text: String, _ binds: [SQLValue]) throws -> [SQLRow] {
        try Row.fetchAll(db, sql: text, arguments: arguments(binds)).map { row in
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
