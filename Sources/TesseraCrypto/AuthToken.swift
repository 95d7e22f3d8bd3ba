import Foundation

/// The `authtoken` that sign-in returns: `{userId}_{expiresEpoch}_{hmac}`.
///
/// The HMAC (SHA-256, keyed with the site's auth-token key) covers the site, the user, the expiry and the user's
/// security stamp; the stamp is renewed on every password change, so a changed password invalidates every
/// token issued before it without any token store.
public struct AuthToken: Sendable, Equatable {
    public var userID: Int
    public var expires: Int64
    /// Lower-case hex HMAC as carried in the token.
    public var mac: String

    /// Longest token we parse; anything longer is refused before any work.
    public static let maxLength = 128

    /// Splits a token into its parts; nil for anything that is not exactly the documented shape.
    public static func parse(_ token: some StringProtocol) -> AuthToken? {
        // Works on bytes: this runs on every request that carries an auth token.
        let bytes = Array(token.utf8)
        guard bytes.count <= maxLength else { return nil }
        let parts = bytes.split(separator: UInt8(ascii: "_"), omittingEmptySubsequences: false)
        guard parts.count == 3, let user = decimal(parts[0], maxDigits: 10), let expires = decimal(parts[1], maxDigits: 12),
              parts[2].count == 64, let mac = Secrets.unhex(String(decoding: parts[2], as: UTF8.self))
        else { return nil }
        return AuthToken(userID: Int(user), expires: expires, mac: Secrets.hex(mac))
    }

    /// An unsigned decimal of 1 to `maxDigits` ASCII digits.
    static func decimal(_ digits: ArraySlice<UInt8>, maxDigits: Int) -> Int64? {
        guard !digits.isEmpty, digits.count <= maxDigits else { return nil }
        var value: Int64 = 0
        for digit in digits {
            guard digit >= 0x30, digit <= 0x39 else { return nil }
            value = value * 10 + Int64(digit - 0x30)
        }
        return value
    }

    public var string: String { "\(userID)_\(expires)_\(mac)" }

    /// Issues a token for a user of a site.
    public static func issue(key: [UInt8], siteID: UUID, userID: Int, securityStamp: String, expires: Int64) -> AuthToken {
        let mac = compute(key: key, siteID: siteID, userID: userID, securityStamp: securityStamp, expires: expires)
        return AuthToken(userID: userID, expires: expires, mac: Secrets.hex(mac))
    }

    /// True when the MAC matches the given site, user and stamp. Expiry is checked separately by the caller.
    public func verifies(key: [UInt8], siteID: UUID, securityStamp: String) -> Bool {
        let expected = Self.compute(key: key, siteID: siteID, userID: userID, securityStamp: securityStamp, expires: expires)
        guard let presented = Secrets.unhex(mac) else { return false }
        return Secrets.constantTimeEqual(expected, presented)
    }

    private static func compute(key: [UInt8], siteID: UUID, userID: Int, securityStamp: String, expires: Int64) -> [UInt8] {
        let message = "authtoken|\(siteID.lowercasedString)|\(userID)|\(expires)|\(securityStamp)"
        return Secrets.hmacSHA256(key: key, message: Array(message.utf8))
    }
}
