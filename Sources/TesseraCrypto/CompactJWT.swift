import Crypto
import Foundation

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
