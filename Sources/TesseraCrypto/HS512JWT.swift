import Crypto
import Foundation

/// Base64url without padding (RFC 7515 §2).
public enum Base64URL {
    public static func encode(_ bytes: some Sequence<UInt8>) -> String {
        Data(bytes).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
    }

    /// nil for characters outside the base64url alphabet, padding, or an impossible length.
    public static func decode(_ text: some StringProtocol) -> [UInt8]? {
        guard text.utf8.allSatisfy({ isAlphabet($0) }), text.utf8.count % 4 != 1 else { return nil }
        var standard = text.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        standard += String(repeating: "=", count: (4 - standard.utf8.count % 4) % 4)
        return Data(base64Encoded: standard).map(Array.init)
    }

    private static func isAlphabet(_ c: UInt8) -> Bool {
        (c >= 0x41 && c <= 0x5A) || (c >= 0x61 && c <= 0x7A) || (c >= 0x30 && c <= 0x39) || c == 0x2D || c == 0x5F
    }
}

/// A compact JWS whose three parts were split and decoded, before any signature check.
public struct CompactJWT: Sendable {
    public var header: [String: JSONValue]
    public var claims: [String: JSONValue]
    /// The exact bytes the signature covers: "<header>.<payload>".
    public var signingInput: [UInt8]
    public var signature: [UInt8]

    public static let maxLength = 16 * 1024

    /// Splits and decodes; nil for anything that is not three base64url parts of which the first two are JSON objects.
    public static func parse(_ token: String) -> CompactJWT? {
        guard token.utf8.count <= maxLength else { return nil }
        let parts = token.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 3, !parts[0].isEmpty, !parts[1].isEmpty,
              let headerBytes = Base64URL.decode(parts[0]), let payloadBytes = Base64URL.decode(parts[1]),
              let signature = Base64URL.decode(parts[2]),
              let header = JSONValue.object(from: headerBytes), let claims = JSONValue.object(from: payloadBytes)
        else { return nil }
        return CompactJWT(header: header, claims: claims, signingInput: Array("\(parts[0]).\(parts[1])".utf8), signature: signature)
    }

    /// True when the token is HS512-signed under `key` (constant-time comparison).
    public func verifiesHS512(key: [UInt8]) -> Bool {
        guard header["alg"]?.string == "HS512" else { return false }
        return verifiesHMAC(key: key)
    }

    /// True when the token is signed with the HMAC its header names (HS256, HS384 or HS512) under `key`.
    public func verifiesHMAC(key: [UInt8]) -> Bool {
        let symmetricKey = SymmetricKey(data: key)
        let expected: [UInt8]
        switch header["alg"]?.string {
        case "HS256": expected = Array(HMAC<SHA256>.authenticationCode(for: signingInput, using: symmetricKey))
        case "HS384": expected = Array(HMAC<SHA384>.authenticationCode(for: signingInput, using: symmetricKey))
        case "HS512": expected = Array(HMAC<SHA512>.authenticationCode(for: signingInput, using: symmetricKey))
        default: return false
        }
        return Secrets.constantTimeEqual(expected, signature)
    }

    /// Signs claims with HS512. Header and claim members are written in the order given.
    public static func signHS512(header: [(String, JSONValue)], claims: [(String, JSONValue)], key: [UInt8]) -> String {
        let input = Base64URL.encode(Array(JSONValue.orderedObject(header).utf8)) + "." + Base64URL.encode(Array(JSONValue.orderedObject(claims).utf8))
        let mac = HMAC<SHA512>.authenticationCode(for: Array(input.utf8), using: SymmetricKey(data: key))
        return input + "." + Base64URL.encode(Array(mac))
    }

    /// A time claim given as a JSON number or as a string of digits (seed 000 writes them as strings).
    public func time(_ name: String) -> Int64? {
        switch claims[name] {
        case .number(let n)?: return n.isFinite && n.rounded() == n && abs(n) < 1e15 ? Int64(n) : nil
        case .string(let s)?: return s.count <= 15 && s.allSatisfy({ $0.isASCII && $0.isNumber }) ? Int64(s) : nil
        default: return nil
        }
    }
}

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

    var serialised: String {
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
