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
        guard raw.utf8.count <= maxLength, raw.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7F }) else { return nil }
        var rest = Substring(raw)
        let legacy = !rest.hasPrefix("tkn_")
        if !legacy { rest = rest.dropFirst(4) }
        guard let firstUnderscore = rest.firstIndex(of: "_") else { return nil }
        let key = rest[..<firstUnderscore]
        rest = rest[rest.index(after: firstUnderscore)...]
        guard let secondUnderscore = rest.firstIndex(of: "_") else { return nil }
        let epochText = rest[..<secondUnderscore]
        rest = rest[rest.index(after: secondUnderscore)...]
        guard let lastUnderscore = rest.lastIndex(of: "_") else { return nil }
        let user = rest[..<lastUnderscore]
        let hashText = rest[rest.index(after: lastUnderscore)...]
        guard !key.isEmpty, key.count <= 255,
              !epochText.isEmpty, epochText.count <= 12, epochText.allSatisfy({ $0.isASCII && $0.isNumber }), let epoch = Int64(epochText),
              !user.isEmpty, user.count <= 512,
              hashText.utf8.count == 64, let hash = Secrets.unhex(hashText)
        else { return nil }
        return RequestSignature(isLegacy: legacy, key: String(key), epoch: epoch, user: String(user), hash: hash)
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
        if user.contains("%"), let decoded = user.removingPercentEncoding, decoded != user {
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
