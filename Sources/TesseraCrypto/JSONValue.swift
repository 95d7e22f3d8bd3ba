import Crypto
import Foundation

/// A JSON value, enough to read and write JWT headers and claims.
public enum JSONValue: Sendable, Equatable {
    case string(String)
    case number(Double)
    case bool(Bool)
    case null
    case array([JSONValue])
    case object([String: JSONValue])

    public var string: String? { if case .string(let s) = self { s } else { nil } }

    /// The members of an object, in key order, for re-serialising.
    public static func object(_ members: [(String, JSONValue)]) -> JSONValue {
        .object(Dictionary(members, uniquingKeysWith: { $1 }))
    }

    /// JSON text of an object whose members keep the given order.
    public static func serialise(_ members: [(String, JSONValue)]) -> String { orderedObject(members) }

    /// Parses JSON text that must be an object.
    public static func parseObject(_ bytes: [UInt8]) -> [String: JSONValue]? { object(from: bytes) }

    static func object(from bytes: [UInt8]) -> [String: JSONValue]? {
        guard let any = try? JSONSerialization.jsonObject(with: Data(bytes), options: []), let dictionary = any as? [String: Any] else { return nil }
        return dictionary.compactMapValues(JSONValue.init(any:))
    }

    init?(any: Any) {
        switch any {
        case let s as String: self = .string(s)
        case let n as NSNumber:
            if String(cString: n.objCType) == "c" { self = .bool(n.boolValue) } else { self = .number(n.doubleValue) }
        case is NSNull: self = .null
        case let a as [Any]: self = .array(a.compactMap(JSONValue.init(any:)))
        case let d as [String: Any]: self = .object(d.compactMapValues(JSONValue.init(any:)))
        default: return nil
        }
    }

    /// Serialises an object with members in the given order (strings and integral numbers only need exactness).
    static func orderedObject(_ members: [(String, JSONValue)]) -> String {
        "{" + members.map { quote($0.0) + ":" + $0.1.serialised }.joined(separator: ",") + "}"
    }

    public var serialised: String {
        switch self {
        case .string(let s): return Self.quote(s)
        case .number(let n): return n.rounded() == n && abs(n) < 1e15 ? String(Int64(n)) : String(n)
        case .bool(let b): return b ? "true" : "false"
        case .null: return "null"
        case .array(let items): return "[" + items.map(\.serialised).joined(separator: ",") + "]"
        case .object(let d): return Self.orderedObject(d.sorted { $0.key < $1.key }.map { ($0.key, $0.value) })
        }
    }

    static func quote(_ s: String) -> String {
        // Most values (ids, tokens, URLs) need no escaping: one pass over the bytes decides.
        if s.utf8.allSatisfy({ $0 >= 0x20 && $0 != 0x22 && $0 != 0x5C }) { return "\"" + s + "\"" }
        var out = "\""
        for scalar in s.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            default:
                if scalar.value < 0x20 {
                    let hex = String(scalar.value, radix: 16)
                    out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        return out + "\""
    }
}
