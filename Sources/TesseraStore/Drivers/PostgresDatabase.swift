import Foundation
import Logging
import NIOCore
import PostgresNIO
import Synchronization
import TesseraCore
import TesseraCrypto

/// PostgreSQL through postgres-nio: one database behind any number of instances. Every instance announces its
/// writes with NOTIFY on `tessera_changes` and LISTENs there on one connection; the change feed is live only
/// while that connection is. An instance also tells its own caches at once, when its transaction commits, so that
/// it reads its own writes; the echo of that change from NOTIFY is then dropped.
final class PostgresDatabase: SQLDatabase {
    let client: PostgresClient
    let logger: Logger
    let changes = ChangeFeed(live: false)
    let dialect = SQLDialect.postgres
    private let runner: Task<Void, Never>
    private let listener: Task<Void, Never>
    private let echoes: Echoes
    static let channel = "tessera_changes"

    /// Connects lazily to the database a `postgres://user:password@host:port/database?sslmode=...` URL names.
    init(url: String, logger: Logger) throws {
        let client = PostgresClient(configuration: try PostgresURL.configuration(url), backgroundLogger: logger)
        self.client = client
        self.logger = logger
        self.runner = Task { await client.run() }
        let changes = self.changes
        let echoes = Echoes()
        self.echoes = echoes
        self.listener = Task { await Self.listen(client: client, changes: changes, echoes: echoes, logger: logger) }
    }

    /// Keeps one connection listening; reconnects a second after it drops. While it is down the feed is not live,
    /// so caches read through to the database.
    private static func listen(client: PostgresClient, changes: ChangeFeed, echoes: Echoes, logger: Logger) async {
        while !Task.isCancelled {
            do {
                try await client.withConnection { connection in
                    try await connection.listen(on: channel) { notifications in
                        changes.setLive(true)
                        for try await notification in notifications {
                            if echoes.isEcho(notification.payload) { continue }
                            if let change = StoreChange(payload: notification.payload) { changes.publish(change) }
                        }
                    }
                }
            } catch {
                if Task.isCancelled { break }
                logger.warning("change listener lost its connection; retrying", metadata: ["error": "\(type(of: error))"])
            }
            changes.setLive(false)
            try? await Task.sleep(for: .seconds(1))
        }
    }

    func read(_ sql: SQL) async throws -> [SQLRow] {
        try await Self.mapErrors { try await Self.rows(try await self.client.query(Self.query(sql), logger: self.logger)) }
    }

    func write(_ sql: SQL) async throws -> [SQLRow] { try await read(sql) }

    func execute(_ sql: SQL) async throws -> Int {
        try await Self.mapErrors {
            try await self.client.withConnection { connection in
                try await Connection(connection: connection, logger: self.logger, announced: nil, echoes: nil).execute(sql)
            }
        }
    }

    func announce(_ change: StoreChange) async throws {
        // Expected before the NOTIFY is sent: its echo may arrive before this call returns.
        echoes.expect(change.payload)
        do {
            try await execute("SELECT pg_notify(\(Self.channel), \(change.payload))")
        } catch {
            echoes.forget(change.payload)
            throw error
        }
        changes.publish(change)
    }

    func transaction<T: Sendable>(exclusive key: Int64?, _ body: @Sendable (any SQLExecutor) async throws -> T) async throws -> T {
        let announced = Announced()
        let result: T
        do {
            result = try await Self.mapErrors {
                try await self.client.withTransaction(logger: self.logger) { connection in
                    let executor = Connection(connection: connection, logger: self.logger, announced: announced, echoes: self.echoes)
                    if let key { try await executor.execute("SELECT pg_advisory_xact_lock(\(key))") }
                    return try await body(executor)
                }
            }
        } catch {
            // Rolled back: no NOTIFY of ours will echo. An equal change of another instance may have been taken for
            // our echo meanwhile, so the caches forget these anyway (forgetting more than needed is harmless).
            for change in announced.changes {
                echoes.forget(change.payload)
                changes.publish(change)
            }
            throw error
        }
        // This instance's caches learn of its own committed changes at once, not a NOTIFY round trip later.
        for change in announced.changes { changes.publish(change) }
        return result
    }

    func close() async throws {
        listener.cancel()
        await listener.value
        runner.cancel()
        await runner.value
    }

    /// Statements on one connection (inside a transaction).
    private struct Connection: SQLExecutor {
        let connection: PostgresConnection
        let logger: Logger
        /// What the transaction announced, to publish locally once it commits.
        let announced: Announced?
        let echoes: Echoes?
        var dialect: SQLDialect { .postgres }

        func read(_ sql: SQL) async throws -> [SQLRow] {
            try await PostgresDatabase.rows(try await connection.query(PostgresDatabase.query(sql), logger: logger))
        }

        func write(_ sql: SQL) async throws -> [SQLRow] { try await read(sql) }

        func execute(_ sql: SQL) async throws -> Int {
            try await connection.query(PostgresDatabase.query(sql), logger: logger).get().metadata.rows ?? 0
        }

        /// NOTIFY inside a transaction is delivered when it commits.
        func announce(_ change: StoreChange) async throws {
            echoes?.expect(change.payload)
            announced?.add(change)
            try await execute("SELECT pg_notify(\(PostgresDatabase.channel), \(change.payload))")
        }
    }

    // MARK: Values

    static func query(_ sql: SQL) throws -> PostgresQuery {
        let (text, binds) = sql.rendered(for: .postgres)
        var bindings = PostgresBindings(capacity: binds.count)
        for value in binds {
            switch value {
            case .null: bindings.appendNull()
            case .int(let n): bindings.append(n)
            case .text(let s): bindings.append(s)
            case .bytes(let b): bindings.append(ByteBuffer(bytes: b))
            case .bool(let b): bindings.append(b)
            case .uuid(let u): bindings.append(u)
            }
        }
        return PostgresQuery(unsafeSQL: text, binds: bindings)
    }

    static func rows(_ sequence: PostgresRowSequence) async throws -> [SQLRow] {
        var rows: [SQLRow] = []
        for try await row in sequence {
            var names: [String] = []
            var values: [SQLValue] = []
            for cell in row {
                names.append(cell.columnName)
                values.append(try value(cell))
            }
            rows.append(SQLRow(names: names, values: values))
        }
        return rows
    }

    private static func value(_ cell: PostgresCell) throws -> SQLValue {
        guard cell.bytes != nil else { return .null }
        switch cell.dataType {
        case .bool: return .bool(try cell.decode(Bool.self))
        case .int2, .int4, .int8: return .int(try cell.decode(Int64.self))
        case .uuid: return .uuid(try cell.decode(UUID.self))
        case .bytea: return .bytes(Array(buffer: try cell.decode(ByteBuffer.self)))
        default: return .text(try cell.decode(String.self))
        }
    }

    /// unique_violation (SQLSTATE 23505) is `StoreError.conflict`; errors of a transaction's body come back as
    /// they were thrown.
    private static func mapErrors<T>(_ body: () async throws -> T) async throws -> T {
        do {
            return try await body()
        } catch let error as PSQLError where error.serverInfo?[.sqlState] == "23505" {
            throw StoreError.conflict(error.serverInfo?[.message] ?? "unique constraint")
        } catch let error as PostgresTransactionError {
            if let inner = error.closureError as? PSQLError, inner.serverInfo?[.sqlState] == "23505" {
                throw StoreError.conflict(inner.serverInfo?[.message] ?? "unique constraint")
            }
            if let inner = error.closureError { throw inner }
            throw error
        }
    }

    /// The payloads this instance announced itself and expects back from NOTIFY: each is published locally once its
    /// transaction ends, so its echo is dropped. Should an equal change of another instance be taken for the echo,
    /// the local publish — which follows both commits — has the caches forget the same entries anyway. Forgotten
    /// after a while (the listener may have been down).
    final class Echoes: Sendable {
        private let pending = Mutex<[(payload: String, at: ContinuousClock.Instant)]>([])

        func expect(_ payload: String) {
            let now = ContinuousClock.now
            pending.withLock { list in
                list.removeAll { now - $0.at > .seconds(30) }
                if list.count < 10_000 { list.append((payload, now)) }
            }
        }

        /// A change that will not be announced after all (its transaction rolled back).
        func forget(_ payload: String) {
            pending.withLock { list in
                if let index = list.lastIndex(where: { $0.payload == payload }) { list.remove(at: index) }
            }
        }

        func isEcho(_ payload: String) -> Bool {
            pending.withLock { list in
                guard let index = list.firstIndex(where: { $0.payload == payload }) else { return false }
                list.remove(at: index)
                return true
            }
        }
    }

    /// What a transaction announced, in order.
    final class Announced: Sendable {
        private let list = Mutex<[StoreChange]>([])
        func add(_ change: StoreChange) { list.withLock { $0.append(change) } }
        var changes: [StoreChange] { list.withLock { $0 } }
    }
}
