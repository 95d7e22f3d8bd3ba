import Crypto
import Foundation

/// Base64url without padding (RFC 7515 §2), on bytes: it runs on every token issued and every client secret checked.
public enum Base64URL {
    private static let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_".utf8)

    public static func encode(_ bytes: some Sequence<UInt8>) -> String {
        let input = Array(bytes)
        var out = [UInt8]()
        out.reserveCapacity((input.count * 4 + 2) / 3)
        var index = 0
        while index + 3 <= input.count {
            let chunk = UInt32(input[index]) << 16 | UInt32(input[index + 1]) << 8 | UInt32(input[index + 2])
            out += [alphabet[Int(chunk >> 18)], alphabet[Int(chunk >> 12 & 63)], alphabet[Int(chunk >> 6 & 63)], alphabet[Int(chunk & 63)]]
            index += 3
        }
        switch input.count - index {
        case 1:
            let chunk = UInt32(input[index]) << 16
            out += [alphabet[Int(chunk >> 18)], alphabet[Int(chunk >> 12 & 63)]]
        case 2:
            let chunk = UInt32(input[index]) << 16 | UInt32(input[index + 1]) << 8
            out += [alphabet[Int(chunk >> 18)], alphabet[Int(chunk >> 12 & 63)], alphabet[Int(chunk >> 6 & 63)]]
        default:
            break
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// nil for characters outside the base64url alphabet, padding, or an impossible length.
    public static func decode(_ text: some StringProtocol) -> [UInt8]? {
        decode(Array(text.utf8), value: value)
    }

    /// Standard base64 (RFC 4648 §4, `+` and `/`) with its padding, as HTTP Basic credentials carry it.
    public static func decodeStandard(_ text: some StringProtocol) -> [UInt8]? {
        var input = Array(text.utf8)
        guard input.count % 4 == 0 else { return nil }
        var padding = 0
        while padding < 2, input.last == UInt8(ascii: "=") {
            input.removeLast()
            padding += 1
        }
        return decode(input) { c in
            switch c {
            case UInt8(ascii: "+"): 62
            case UInt8(ascii: "/"): 63
            case UInt8(ascii: "-"), UInt8(ascii: "_"): nil
            default: value(c)
            }
        }
    }

    private static func decode(_ input: [UInt8], value: (UInt8) -> UInt8?) -> [UInt8]? {
        guard input.count % 4 != 1 else { return nil }
        var out = [UInt8]()
        out.reserveCapacity(input.count * 3 / 4)
        var buffer: UInt32 = 0
        var bits = 0
        for c in input {
            guard let value = value(c) else { return nil }
            buffer = buffer << 6 | UInt32(value)
            bits += 6
            if bits >= 8 {
                bits -= 8
                out.append(UInt8(truncatingIfNeeded: buffer >> UInt32(bits)))
            }
        }
        return out
    }

    private static func value(_ c: UInt8) -> UInt8? {
        switch c {
        case 0x41...0x5A: c - 0x41
        case 0x61...0x7A: c - 0x61 + 26
        case 0x30...0x39: c - 0x30 + 52
        case 0x2D: 62
        case 0x5F: 63
        default: nil
        }
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

    /// The `aud` claim as a list: a string is one audience, an array several (RFC 7519 §4.1.3).
    public var audiences: [String] {
        switch claims["aud"] {
        case .string(let audience)?: [audience]
        case .array(let items)?: items.compactMap(\.string)
        default: []
        }
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
