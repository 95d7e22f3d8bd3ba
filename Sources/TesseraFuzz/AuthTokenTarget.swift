import Foundation
import TesseraCore
import TesseraCrypto
import TesseraServer

/// An `Authorization` header as CallerResolver reads it: the Bearer token, then by its shape an impersonation
/// token, a JWT or a sign-in auth token (AuthToken.parse), and the auth token's MAC check under a fixed key.
enum AuthTokenTarget {
    static let target = FuzzTarget(name: "auth-token", run: run, seeds: seeds)

    static func run(_ bytes: [UInt8]) -> Bool {
        let header = bytes.text
        // A bare token (as the authtoken query parameter or X-Authtoken carry it) as well as a whole header.
        let token = CallerResolver.bearerToken(header) ?? header
        if token.utf8.starts(with: "imp_".utf8) {
            _ = ImpersonationToken.parse(token)
        } else if CallerResolver.looksLikeJWT(token) {
            invariant(AuthToken.parse(token) == nil, "a token with a dot read as an auth token")
            _ = CompactJWT.parse(token)
        }
        guard let parsed = AuthToken.parse(token) else { return false }
        invariant(parsed.mac.utf8.count == 64 && parsed.userID >= 0 && parsed.expires >= 0, "auth token fields out of shape")
        invariant(AuthToken.parse(parsed.string) == parsed, "auth token round trip")
        let verified = parsed.verifies(key: Fixtures.authTokenKey, siteID: Fixtures.siteID, securityStamp: Fixtures.securityStamp)
        if verified {
            let issued = AuthToken.issue(key: Fixtures.authTokenKey, siteID: Fixtures.siteID, userID: parsed.userID,
                                         securityStamp: Fixtures.securityStamp, expires: parsed.expires)
            invariant(issued.mac == parsed.mac, "an auth token verified whose MAC was not made with the key")
        }
        // Another stamp (a changed password) never verifies the same token.
        invariant(!parsed.verifies(key: Fixtures.authTokenKey, siteID: Fixtures.siteID, securityStamp: Fixtures.securityStamp + "!"),
                  "an auth token verified under another security stamp")
        return verified
    }

    static func seeds() -> [(String, [UInt8])] {
        let token = AuthToken.issue(key: Fixtures.authTokenKey, siteID: Fixtures.siteID, userID: 42, securityStamp: Fixtures.securityStamp,
                                    expires: Fixtures.now + 3600).string
        return [("bearer", Array("Bearer \(token)".utf8)), ("bare", Array(token.utf8))]
    }
}
