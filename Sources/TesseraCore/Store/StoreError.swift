/// Failures of a store implementation that services need to tell apart.
public enum StoreError: Error, Sendable, Equatable {
    /// A uniqueness constraint was violated (for example a username already taken in the site).
    case conflict(String)
    /// The row to change does not exist.
    case notFound
    /// A stored value is not what the schema says (a damaged row or a column of another type).
    case unreadable(String)
}
