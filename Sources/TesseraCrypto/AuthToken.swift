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
        guard token.utf8.count <= maxLength else { return nil }
        let parts = token.split(separator: "_", omittingEmptySubsequences: false)
        guard parts.count == 3,
              parts[0].count <= 10, parts[0].allSatisfy({ $0.isASCII && $0.isNumber }), let user = Int(parts[0]),
              parts[1].count <= 12, parts[1].allSatisfy({ $0.isASCII && $0.isNumber }), let expires = Int64(parts[1]),
              parts[2].utf8.count == 64, Secrets.unhex(parts[2]) != nil
        else { return nil }
        return AuthToken(userID: user, expires: expires, mac: parts[2].lowercased())
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
        let message = "authtoken|\(siteID.uuidString.lowercased())|\(userID)|\(expires)|\(securityStamp)"
        return Secrets.hmacSHA256(key: key, message: Array(message.utf8))
    }
}
