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
    private let listener = Mutex<Task<Void, Never>?>(nil)
    private let echoes: Echoes
    static let channel = "tessera_changes"

    /// Connects lazily to the database a `postgres://user:password@host:port/database?sslmode=...` URL names.
    init(url: String, logger: Logger) throws {
        let client = PostgresClient(configuration: try PostgresURL.configuration(url), backgroundLogger: logger)
        self.client = client
        self.logger = logger
        self.runner = Task { await client.run() }
        self.echoes = Echoes()
        listener.withLock { $0 = Task { await self.listen() } }
    }

    /// Keeps one connection listening; reconnects a second after it drops. While it is down the feed is not live,
    /// so caches read through to the database; a probe then tells whether the database itself is away (see
    /// `ChangeFeed.mayServeFromMemory`).
    private func listen() async {
        while !Task.isCancelled {
            do {
                try await client.withConnection { connection in
                    try await connection.listen(on: Self.channel) { notifications in
                        changes.setStoreAway(false)
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
            // Until the probe answers, the database is taken to be away (memory serves): a lost listener is most
            // often a database going down, and a request that reads through now would wait a whole lease deadline.
            // If the database answers the probe (in milliseconds), caches read through until the listener is back.
            changes.setStoreAway(true)
            changes.setLive(false)
            _ = try? await read("SELECT 1 AS one")
            try? await Task.sleep(for: .seconds(1))
        }
    }

    func read(_ sql: SQL) async throws -> [SQLRow] {
        try await mapErrors {
            try await self.withConnection { connection in
                try await Self.rows(try await connection.query(Self.query(sql), logger: self.logger))
            }
        }
    }

    func write(_ sql: SQL) async throws -> [SQLRow] { try await read(sql) }

    func execute(_ sql: SQL) async throws -> Int {
        try await mapErrors {
            try await self.withConnection { connection in
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
            // `withConnection` returns only once the body has ended: the body does not outlive this call.
            result = try await withoutActuallyEscaping(body) { body in
                try await mapErrors {
                    try await self.withConnection { connection in
                        try await connection.withTransaction(logger: self.logger) { connection in
                            let executor = Connection(connection: connection, logger: self.logger, announced: announced, echoes: self.echoes)
                            if let key { try await executor.execute("SELECT pg_advisory_xact_lock(\(key))") }
                            return try await body(executor)
                        }
                    }
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

    /// Runs `body` on a pooled connection. While PostgreSQL is away the pool keeps retrying its connection for up
    /// to a minute and a lease waits that long; a request is refused as `StoreError.unavailable` instead when no
    /// connection is leased within `StoreError.leaseDeadline`. Either the lease or the deadline wins, never both: a
    /// body that starts has its whole answer awaited, so nothing it commits goes unreported. Once the store is known
    /// to be away the wait is `StoreError.awayLeaseDeadline`: a request that needs the store twice (a read, then a
    /// write) is refused within the first deadline and a short second one, not two whole ones.
    private func withConnection<T: Sendable>(_ body: @escaping @Sendable (PostgresConnection) async throws -> T) async throws -> T {
        let race = LeaseRace()
        return try await withThrowingTaskGroup(of: LeaseOutcome<T>.self) { group in
            group.addTask {
                do {
                    return .finished(try await self.client.withConnection { connection in
                        guard race.claim(.leased) else { throw StoreError.unavailable("no database connection in time") }
                        return try await body(connection)
                    })
                } catch where !race.isLeased {
                    // The pool could not connect (its own errors, a circuit breaker among them, are not PSQLErrors).
                    throw StoreError.unavailable("database connection failed")
                }
            }
            group.addTask {
                try? await Task.sleep(for: self.changes.isStoreAway ? StoreError.awayLeaseDeadline : StoreError.leaseDeadline)
                return .deadline
            }
            while let outcome = try await group.next() {
                switch outcome {
                case .finished(let value):
                    group.cancelAll()
                    return value
                case .deadline where race.claim(.timedOut):
                    group.cancelAll()
                    throw StoreError.unavailable("no database connection in time")
                case .deadline:
                    continue
                }
            }
            throw StoreError.unavailable("no database connection")
        }
    }

    private enum LeaseOutcome<T: Sendable>: Sendable {
        case finished(T)
        case deadline
    }

    /// Who came first: the connection or the deadline.
    private final class LeaseRace: Sendable {
        enum Winner: UInt8 { case none = 0, leased, timedOut }
        private let winner = Atomic<UInt8>(Winner.none.rawValue)
        var isLeased: Bool { winner.load(ordering: .acquiring) == Winner.leased.rawValue }
        /// True when `who` is the first to claim.
        func claim(_ who: Winner) -> Bool {
            winner.compareExchange(expected: Winner.none.rawValue, desired: who.rawValue, ordering: .acquiringAndReleasing).exchanged
        }
    }

    func close() async throws {
        if let listener = listener.withLock({ $0 }) {
            listener.cancel()
            await listener.value
        }
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
        let (text, binds) = try sql.rendered(for: .postgres)
        var bindings = PostgresBindings(capacity: binds.count)
        for value in binds {
            switch value {
            case .null: bindings.appendNull()
            case .int(let n): bindings.append(n)
            case .text(let s): bindings.append(s)
            case .bytes(let b): bindings.append(ByteBuffer(bytes: b))
            case .bool(let b): bindings.append(b)
            case .uuid(let u): bindings.append(u)
            case .inferred(let s): bindings.append(InferredText(text: s))
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

    /// Errors of a transaction's body come back as they were thrown, database errors as `mapped` says.
    /// Tells the change feed whether the database answered (see `ChangeFeed.setStoreAway`).
    private func mapErrors<T>(_ body: () async throws -> T) async throws -> T {
        let failure: any Error
        do {
            let result = try await body()
            changes.setStoreAway(false)
            return result
        } catch let error as PostgresTransactionError {
            failure = Self.mapped(error.closureError ?? error.beginError ?? error.commitError ?? error)
        } catch {
            failure = Self.mapped(error)
        }
        if case StoreError.unavailable = failure { changes.setStoreAway(true) }
        throw failure
    }

    /// unique_violation (23505) is a conflict; a lost or refused connection, a server shutting down or starting
    /// (SQLSTATE classes 08, 57P and 53) are `StoreError.unavailable`. A commit whose
    /// connection was lost may or may not have happened: that too is answered as unavailable (retry), never as done.
    static func mapped(_ error: any Error) -> any Error {
        switch error {
        case let error as PSQLError:
            guard error.code == .server, let state = error.serverInfo?[.sqlState] else {
                return StoreError.unavailable("database connection failed")
            }
            if state == "23505" { return StoreError.conflict(error.serverInfo?[.message] ?? "unique constraint") }
            if state.hasPrefix("08") || state.hasPrefix("57P") || state.hasPrefix("53") {
                return StoreError.unavailable("database is not accepting queries")
            }
            return error
        default:
            return error
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

/// Text sent with an unspecified parameter type: PostgreSQL reads it with the input function of whatever type the
/// statement gives the parameter (a UUID column, a TEXT column).
struct InferredText: PostgresNonThrowingEncodable {
    let text: String
    static var psqlType: PostgresDataType { PostgresDataType(0) }
    static var psqlFormat: PostgresFormat { .text }

    func encode<JSONEncoder: PostgresJSONEncoder>(into byteBuffer: inout ByteBuffer, context: PostgresEncodingContext<JSONEncoder>) {
        byteBuffer.writeString(text)
    }
}
