import Foundation

/// The sign-in session cookie of the authorization pages: `{userId}.{authTime}.{expires}.{nonce}.{hmac}`.
///
/// The HMAC (SHA-256 under a key derived from the site's auth-token key) covers the site, the user, when they
/// authenticated (the id_token's `auth_time`, which `max_age` is checked against), a random nonce (so two sign-ins
/// of one user in the same second are two sessions, and signing out of one leaves the other) and the user's
/// security stamp, so a password change ends every session. Logout lists a hash of the MAC as revoked.
public struct SignInSession: Sendable, Equatable {
    public var userID: Int
    public var authTime: Int64
    public var expires: Int64
    /// 16 random bytes, lower-case hex.
    public var nonce: String
    /// Lower-case hex, as carried.
    public var mac: String

    public static let maxLength = 160

    public static func parse(_ text: some StringProtocol) -> SignInSession? {
        let bytes = Array(text.utf8)
        guard bytes.count <= maxLength else { return nil }
        let parts = bytes.split(separator: UInt8(ascii: "."), omittingEmptySubsequences: false)
        guard parts.count == 5, let user = AuthToken.decimal(parts[0], maxDigits: 10), let authTime = AuthToken.decimal(parts[1], maxDigits: 12),
              let expires = AuthToken.decimal(parts[2], maxDigits: 12), parts[3].count == 32, parts[4].count == 64,
              let nonce = Secrets.unhex(String(decoding: parts[3], as: UTF8.self)),
              let mac = Secrets.unhex(String(decoding: parts[4], as: UTF8.self))
        else { return nil }
        return SignInSession(userID: Int(user), authTime: authTime, expires: expires, nonce: Secrets.hex(nonce), mac: Secrets.hex(mac))
    }

    public var string: String { "\(userID).\(authTime).\(expires).\(nonce).\(mac)" }

    public static func issue(key: [UInt8], siteID: UUID, userID: Int, securityStamp: String, authTime: Int64, expires: Int64) -> SignInSession {
        let nonce = Secrets.randomHex(16)
        let mac = compute(key: key, siteID: siteID, userID: userID, securityStamp: securityStamp, authTime: authTime, expires: expires, nonce: nonce)
        return SignInSession(userID: userID, authTime: authTime, expires: expires, nonce: nonce, mac: Secrets.hex(mac))
    }

    /// True when the MAC matches; expiry and revocation are the caller's to check.
    public func verifies(key: [UInt8], siteID: UUID, securityStamp: String) -> Bool {
        let expected = Self.compute(key: key, siteID: siteID, userID: userID, securityStamp: securityStamp, authTime: authTime, expires: expires,
                                    nonce: nonce)
        guard let presented = Secrets.unhex(mac) else { return false }
        return Secrets.constantTimeEqual(expected, presented)
    }

    private static func compute(key: [UInt8], siteID: UUID, userID: Int, securityStamp: String, authTime: Int64, expires: Int64,
                                nonce: String) -> [UInt8] {
        let sessionKey = Secrets.hmacSHA256(key: key, message: Array("sign-in-session".utf8))
        let message = "signin|\(siteID.uuidString.lowercased())|\(userID)|\(authTime)|\(expires)|\(nonce)|\(securityStamp)"
        return Secrets.hmacSHA256(key: sessionKey, message: Array(message.utf8))
    }
}
