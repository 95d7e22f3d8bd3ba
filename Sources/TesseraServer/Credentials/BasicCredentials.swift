import Foundation
import TesseraCore
import TesseraCrypto

/// HTTP Basic credentials (RFC 7617), parsed strictly.
package enum BasicCredentials {
    /// `Basic base64(username:password)`, read on bytes (clients of the introspection endpoint send it on every call).
    package static func parse(_ header: String) throws -> (username: String, password: String) {
        let bytes = Array(header.utf8)
        guard bytes.count <= Limits.maxCredentialBytes else { throw ServiceError.invalidInput("Authorization header too long") }
        guard bytes.count > 6, bytes[..<6].map({ $0 | 0x20 }).elementsEqual("basic ".utf8), !bytes[6...].contains(0x20) else {
            throw ServiceError.unauthenticated("use HTTP Basic authentication to sign in")
        }
        guard let decoded = Base64URL.decodeStandard(String(decoding: bytes[6...], as: UTF8.self)), String(validating: decoded, as: UTF8.self) != nil else {
            throw ServiceError.invalidInput("malformed Basic credentials: not base64 of UTF-8 text")
        }
        guard let colon = decoded.firstIndex(of: UInt8(ascii: ":")) else { throw ServiceError.invalidInput("malformed Basic credentials: no ':'") }
        guard colon > 0 else { throw ServiceError.invalidInput("malformed Basic credentials: empty username") }
        guard !decoded.contains(where: { $0 < 0x20 || $0 == 0x7F }) else {
            throw ServiceError.invalidInput("malformed Basic credentials: control characters")
        }
        return (String(decoding: decoded[..<colon], as: UTF8.self), String(decoding: decoded[(colon + 1)...], as: UTF8.self))
    }
}
