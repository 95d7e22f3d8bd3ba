/// Failures of a store implementation that services need to tell apart.
public enum StoreError: Error, Sendable, Equatable {
    /// A uniqueness constraint was violated (for example a username already taken in the site).
    case conflict(String)
    /// The row to change does not exist.
    case notFound
    /// A stored value is not what the schema says (a damaged row or a column of another type).
    case unreadable(String)
    /// The store cannot be reached or written now (PostgreSQL down or restarting, no connection within
    /// `StoreError.leaseDeadline`, a full disk, a read-only file). Answered 503 with `Retry-After`; the request may
    /// be repeated as it was.
    case unavailable(String)
    /// A value neither store can hold as given (text with a NUL character). Answered 400: it came from the request.
    case unstorable(String)

    /// How long a request waits for a database connection before it is refused as `unavailable`.
    public static let leaseDeadline: Duration = .seconds(3)
    /// The same wait once the store is known to be away (a connection has already failed or timed out): long enough
    /// for a database that is back to hand one out, short enough that a second store call adds little to a refusal.
    public static let awayLeaseDeadline: Duration = .milliseconds(500)
    /// The `Retry-After` seconds of a refusal because the store is unavailable.
    public static let retryAfterSeconds = 5

    /// Reads the store; when it cannot be reached, what memory holds (`cached`) is the answer, if there is one: the
    /// caches' rule "stale if unavailable". (For an optional `T`, nil `cached` means nothing in memory; `.some(nil)`,
    /// known not to exist.)
    public static func staleIfUnavailable<T>(_ cached: T?, _ read: () async throws -> T) async throws -> T {
        do {
            return try await read()
        } catch StoreError.unavailable(let reason) {
            if let cached { return cached }
            throw StoreError.unavailable(reason)
        }
    }
}

extension StoreError: CustomStringConvertible {
    /// What an operator reads when a command or a start fails on the store (never a stored value: the reasons are
    /// fixed texts and, for conflicts, a column name).
    public var description: String {
        switch self {
        case .conflict(let what): "already taken: \(what)"
        case .unstorable(let what): "a value the store cannot hold: \(what)"
        case .notFound: "not found"
        case .unreadable(let what): "a stored value cannot be read: \(what)"
        case .unavailable(let why): "the store is unavailable (\(why)); a full disk, a read-only file or a database that is down or restarting"
        }
    }
}
