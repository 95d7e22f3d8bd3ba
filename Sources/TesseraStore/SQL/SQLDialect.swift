/// The two SQL dialects the store speaks. Statements are written once; the dialect decides how binds are written
/// and which column types the schema uses.
public enum SQLDialect: Sendable {
    case sqlite
    case postgres

    /// The placeholder of the `index`-th bind (1-based).
    func placeholder(_ index: Int) -> String {
        switch self {
        case .sqlite: "?"
        case .postgres: "$\(index)"
        }
    }

    /// Column types of the schema. SQLite keeps UUIDs as lower-case text and booleans as 0/1.
    var uuid: String { self == .sqlite ? "TEXT" : "UUID" }
    var bool: String { self == .sqlite ? "INTEGER" : "BOOLEAN" }
    var bytes: String { self == .sqlite ? "BLOB" : "BYTEA" }
    var int: String { self == .sqlite ? "INTEGER" : "BIGINT" }
    var falseLiteral: String { self == .sqlite ? "0" : "FALSE" }
    var trueLiteral: String { self == .sqlite ? "1" : "TRUE" }
    /// A collation that orders text by its bytes (UTF-8 code-point order), so that a prefix is one range of an
    /// index: SQLite's default, PostgreSQL's "C".
    var bytewise: String { self == .sqlite ? "" : " COLLATE \"C\"" }
    /// An auto-numbered primary key column.
    var serialKey: String { self == .sqlite ? "INTEGER PRIMARY KEY AUTOINCREMENT" : "BIGSERIAL PRIMARY KEY" }
}
