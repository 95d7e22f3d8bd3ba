import Foundation

/// A server-token request signature as carried in `X-Deki-Token`:
/// `tkn_{key}_{epoch}_{user}_{hash}` (HMAC over "{key}_{epoch}_{user}") or the legacy
/// `{key}_{epoch}_{user}_{hash}` (HMAC over "{key}{epoch}{user}"); hash is hex HMAC-SHA256 under the token's secret.
public struct RequestSignature: Sendable, Equatable {
    public var isLegacy: Bool
    public var key: String
    public var epoch: Int64
    /// The user segment exactly as received: digits, or `=` and a (possibly percent-encoded) username.
    public var user: String
    /// The 32 bytes of the presented hash (hex of either case).
    public var hash: [UInt8]

    public static let maxLength = 1024

    /// Splits a header value; nil when it is not the documented shape. The key runs to the first `_`, the epoch is
    /// the next run of digits, the hash follows the last `_`, and the user is what lies between (it may hold `_`).
    public static func parse(_ raw: String) -> RequestSignature? {
        // Works on bytes: this runs on every signed request.
        var bytes = Array(raw.utf8)[...]
        guard bytes.count <= maxLength, bytes.allSatisfy({ $0 > 0x20 && $0 < 0x7F }) else { return nil }
        let underscore = UInt8(ascii: "_")
        let legacy = !bytes.starts(with: "tkn_".utf8)
        if !legacy { bytes = bytes.dropFirst(4) }
        guard let first = bytes.firstIndex(of: underscore) else { return nil }
        let key = bytes[..<first]
        bytes = bytes[(first + 1)...]
        guard let second = bytes.firstIndex(of: underscore) else { return nil }
        let epochDigits = bytes[..<second]
        bytes = bytes[(second + 1)...]
        guard let last = bytes.lastIndex(of: underscore) else { return nil }
        let user = bytes[..<last]
        let hashText = bytes[(last + 1)...]
        guard !key.isEmpty, key.count <= 255, !epochDigits.isEmpty, epochDigits.count <= 12,
              epochDigits.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }), !user.isEmpty, user.count <= 512, hashText.count == 64,
              let hash = Secrets.unhex(String(decoding: hashText, as: UTF8.self))
        else { return nil }
        let epoch = epochDigits.reduce(Int64(0)) { $0 * 10 + Int64($1 - 0x30) }
        return RequestSignature(isLegacy: legacy, key: String(decoding: key, as: UTF8.self), epoch: epoch,
                                user: String(decoding: user, as: UTF8.self), hash: hash)
    }

    /// The message the hash covers, for the given form of the user segment.
    public func message(user: String) -> String {
        isLegacy ? "\(key)\(epoch)\(user)" : "\(key)_\(epoch)_\(user)"
    }

    /// True when the hash is the HMAC of the message under `secret`, for the user segment as received or, if it
    /// is percent-encoded, as decoded (clients differ on whether they sign before or after encoding).
    public func verifies(secret: String) -> Bool {
        let secretBytes = Array(secret.utf8)
        var matched = Secrets.constantTimeEqual(Secrets.hmacSHA256(key: secretBytes, message: Array(message(user: user).utf8)), hash)
        if user.utf8.contains(UInt8(ascii: "%")), let decoded = user.removingPercentEncoding, decoded != user {
            let other = Secrets.constantTimeEqual(Secrets.hmacSHA256(key: secretBytes, message: Array(message(user: decoded).utf8)), hash)
            matched = matched || other
        }
        return matched
    }

    /// Makes a signature (for tests, benchmarks and the command line).
    public static func sign(key: String, secret: String, epoch: Int64, user: String, legacy: Bool = false) -> String {
        let message = legacy ? "\(key)\(epoch)\(user)" : "\(key)_\(epoch)_\(user)"
        let hash = Secrets.hex(Secrets.hmacSHA256(key: Array(secret.utf8), message: Array(message.utf8)))
        return (legacy ? "" : "tkn_") + "\(key)_\(epoch)_\(user)_\(hash)"
    }
}
