import Foundation

/// A value bound to a statement or read from a row. Times are whole seconds since 1970 (`int`).
public enum SQLValue: Sendable, Equatable {
    case null
    case int(Int64)
    case text(String)
    case bytes([UInt8])
    case bool(Bool)
    case uuid(UUID)
    /// Text whose type the database infers from where it stands (PostgreSQL: a parameter of unspecified type, sent
    /// as text). For a column whose type differs between schema versions that may be live at once.
    case inferred(String)
}

/// A Swift value that can be bound to a statement parameter.
public protocol SQLBindable {
    var sqlValue: SQLValue { get }
}

extension Int: SQLBindable {
    public var sqlValue: SQLValue { .int(Int64(self)) }
}

extension Int64: SQLBindable {
    public var sqlValue: SQLValue { .int(self) }
}

extension String: SQLBindable {
    public var sqlValue: SQLValue { .text(self) }
}

extension Bool: SQLBindable {
    public var sqlValue: SQLValue { .bool(self) }
}

extension UUID: SQLBindable {
    public var sqlValue: SQLValue { .uuid(self) }
}

extension Array: SQLBindable where Element == UInt8 {
    public var sqlValue: SQLValue { .bytes(self) }
}

/// Times are stored as whole seconds (rounded down).
extension Date: SQLBindable {
    public var sqlValue: SQLValue { .int(Int64(timeIntervalSince1970.rounded(.down))) }
}

extension Optional: SQLBindable where Wrapped: SQLBindable {
    public var sqlValue: SQLValue { map(\.sqlValue) ?? .null }
}

extension SQLValue: SQLBindable {
    public var sqlValue: SQLValue { self }
}
