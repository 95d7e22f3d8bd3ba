import TesseraCore

/// Runs statements: on the database directly, or inside a transaction. Constraint violations come back as
/// `StoreError.conflict`.
public protocol SQLExecutor: Sendable {
    var dialect: SQLDialect { get }
    /// A statement that only reads.
    func read(_ sql: SQL) async throws -> [SQLRow]
    /// A statement that writes and returns rows (`... RETURNING`).
    func write(_ sql: SQL) async throws -> [SQLRow]
    /// A statement that writes; returns how many rows it changed.
    @discardableResult func execute(_ sql: SQL) async throws -> Int
    /// Tells every instance's caches (this one's included) that something changed, once the surrounding
    /// transaction commits.
    func announce(_ change: StoreChange) async throws
}

/// A database behind one driver: statements, transactions, the change feed.
public protocol SQLDatabase: SQLExecutor {
    /// The change announcements of every writer (PostgreSQL: every instance).
    var changes: ChangeFeed { get }
    /// Runs `body` in one transaction, committed when it returns and rolled back when it throws. `exclusive`
    /// serialises transactions that pass the same key (across instances on PostgreSQL).
    func transaction<T: Sendable>(exclusive key: Int64?, _ body: @Sendable (any SQLExecutor) async throws -> T) async throws -> T
    func close() async throws
}

extension SQLDatabase {
    func transaction<T: Sendable>(_ body: @Sendable (any SQLExecutor) async throws -> T) async throws -> T {
        try await transaction(exclusive: nil, body)
    }
}

extension SQLExecutor {
    /// The first row of a read, if any.
    func readOne(_ sql: SQL) async throws -> SQLRow? { try await read(sql).first }
}
