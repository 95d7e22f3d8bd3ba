import Foundation
import TesseraCore

/// A row as either driver read it: column names and values. The typed accessors accept each driver's natural
/// representation (SQLite hands out UUIDs as text and booleans as integers).
public struct SQLRow: Sendable {
    let names: [String]
    let values: [SQLValue]

    init(names: [String], values: [SQLValue]) {
        self.names = names
        self.values = values
    }

    func value(_ column: String) throws -> SQLValue {
        guard let index = names.firstIndex(of: column) else { throw StoreError.unreadable("no column \(column)") }
        return values[index]
    }

    private func mismatch(_ column: String, _ type: String) -> StoreError { .unreadable("column \(column) is not \(type)") }

    public func string(_ column: String) throws -> String {
        guard let value = try optionalString(column) else { throw mismatch(column, "text") }
        return value
    }

    public func optionalString(_ column: String) throws -> String? {
        switch try value(column) {
        case .null: return nil
        case .text(let s): return s
        case .uuid(let u): return u.lowercasedString
        default: throw mismatch(column, "text")
        }
    }

    public func int64(_ column: String) throws -> Int64 {
        guard let value = try optionalInt64(column) else { throw mismatch(column, "an integer") }
        return value
    }

    public func optionalInt64(_ column: String) throws -> Int64? {
        switch try value(column) {
        case .null: return nil
        case .int(let n): return n
        case .bool(let b): return b ? 1 : 0
        default: throw mismatch(column, "an integer")
        }
    }

    public func int(_ column: String) throws -> Int { Int(try int64(column)) }

    public func optionalInt(_ column: String) throws -> Int? { try optionalInt64(column).map { Int($0) } }

    public func bool(_ column: String) throws -> Bool {
        switch try value(column) {
        case .bool(let b): return b
        case .int(let n): return n != 0
        default: throw mismatch(column, "a boolean")
        }
    }

    public func uuid(_ column: String) throws -> UUID {
        switch try value(column) {
        case .uuid(let u): return u
        case .text(let s):
            guard let u = UUID(uuidString: s) else { throw mismatch(column, "a UUID") }
            return u
        default: throw mismatch(column, "a UUID")
        }
    }

    public func bytes(_ column: String) throws -> [UInt8] {
        guard let value = try optionalBytes(column) else { throw mismatch(column, "bytes") }
        return value
    }

    public func optionalBytes(_ column: String) throws -> [UInt8]? {
        switch try value(column) {
        case .null: return nil
        case .bytes(let b): return b
        default: throw mismatch(column, "bytes")
        }
    }

    /// A time stored as whole seconds.
    public func date(_ column: String) throws -> Date { Date(timeIntervalSince1970: TimeInterval(try int64(column))) }

    public func optionalDate(_ column: String) throws -> Date? {
        try optionalInt64(column).map { Date(timeIntervalSince1970: TimeInterval($0)) }
    }
}
