import TesseraCore
/// One SQL statement with its binds, written with string interpolation: `"... WHERE id = \(id)"` binds `id`, never
/// splices it into the text. `\(raw: name)` splices trusted text (a column name chosen by code, never input).
public struct SQL: Sendable, ExpressibleByStringInterpolation {
    enum Part: Sendable {
        case text(String)
        case bind(SQLValue)
    }

    var parts: [Part]

    public init(stringLiteral value: String) { parts = [.text(value)] }

    public init(stringInterpolation: StringInterpolation) { parts = stringInterpolation.parts }

    /// Trusted text with no binds (schema statements).
    public init(raw text: String) { parts = [.text(text)] }

    public struct StringInterpolation: StringInterpolationProtocol {
        var parts: [Part] = []

        public init(literalCapacity: Int, interpolationCount: Int) { parts.reserveCapacity(interpolationCount * 2 + 1) }

        public mutating func appendLiteral(_ literal: String) { parts.append(.text(literal)) }

        public mutating func appendInterpolation(_ value: some SQLBindable) { parts.append(.bind(value.sqlValue)) }

        public mutating func appendInterpolation(raw text: String) { parts.append(.text(text)) }

        public mutating func appendInterpolation(_ fragment: SQL) { parts.append(contentsOf: fragment.parts) }
    }

    /// Joins fragments with a separator (for optional filters).
    public static func joined(_ fragments: [SQL], separator: String) -> SQL {
        var parts: [Part] = []
        for (index, fragment) in fragments.enumerated() {
            if index > 0 { parts.append(.text(separator)) }
            parts.append(contentsOf: fragment.parts)
        }
        var sql = SQL(raw: "")
        sql.parts = parts
        return sql
    }

    /// The statement's text in a dialect, and its binds in order. Text holding a NUL is refused
    /// (`StoreError.unstorable`) before either store sees it: PostgreSQL refuses it too, and SQLite would cut the
    /// text at the NUL — `admin\0x` would find, or be stored as, `admin`.
    func rendered(for dialect: SQLDialect) throws -> (text: String, binds: [SQLValue]) {
        var text = ""
        var binds: [SQLValue] = []
        for part in parts {
            switch part {
            case .text(let literal): text += literal
            case .bind(let value):
                switch value {
                case .text(let s), .inferred(let s):
                    if s.utf8.contains(0) { throw StoreError.unstorable("a NUL character") }
                default: break
                }
                binds.append(value)
                text += dialect.placeholder(binds.count)
            }
        }
        return (text, binds)
    }
}
