import Foundation
import Hummingbird
import TesseraCrypto
import TesseraServer

/// A `Cookie` header: Hummingbird's cookie reader, then what Tessera reads from it — the `authtoken` cookie (an auth
/// token or an `imp_` token), the sign-in session cookie (SignInSession.parse and its MAC under a fixed key), the
/// CSRF cookie's shape.
enum CookieTarget {
    static let target = FuzzTarget(name: "cookie", run: run, seeds: seeds)

    static func run(_ bytes: [UInt8]) -> Bool {
        let cookies = Cookies(from: [bytes.text])
        var verified = false
        if let value = cookies["authtoken"]?.value {
            if value.utf8.starts(with: "imp_".utf8) {
                verified = ImpersonationToken.parse(value)?.verifies(apiKey: Fixtures.apiKey) == true
            } else {
                verified = AuthToken.parse(value)?.verifies(key: Fixtures.authTokenKey, siteID: Fixtures.siteID,
                                                            securityStamp: Fixtures.securityStamp) == true
            }
        }
        if let value = cookies[Page.sessionCookie]?.value, let session = SignInSession.parse(value) {
            invariant(SignInSession.parse(session.string) == session, "sign-in session round trip")
            if session.verifies(key: Fixtures.authTokenKey, siteID: Fixtures.siteID, securityStamp: Fixtures.securityStamp) {
                verified = true
                invariant(!session.verifies(key: Fixtures.authTokenKey, siteID: Fixtures.siteID, securityStamp: "changed"),
                          "a sign-in session verified under another security stamp")
            }
        }
        if let value = cookies[Page.csrfCookie]?.value, value.utf8.count == 32 { _ = Secrets.unhex(value) }
        return verified
    }

    static func seeds() -> [(String, [UInt8])] {
        let auth = AuthToken.issue(key: Fixtures.authTokenKey, siteID: Fixtures.siteID, userID: 42, securityStamp: Fixtures.securityStamp,
                                   expires: Fixtures.now + 3600).string
        let session = SignInSession.issue(key: Fixtures.authTokenKey, siteID: Fixtures.siteID, userID: 42, securityStamp: Fixtures.securityStamp,
                                          authTime: Fixtures.now, expires: Fixtures.now + 3600).string
        let imp = ImpersonationToken.make(user: "=admin", epoch: Fixtures.now, apiKey: Fixtures.apiKey)
        return [
            ("authtoken", "authtoken=\(auth); theme=dark"),
            ("session-and-csrf", "\(Page.csrfCookie)=00112233445566778899aabbccddeeff; \(Page.sessionCookie)=\(session)"),
            ("impersonation", "authtoken=\(imp)"),
        ].map { ($0.0, Array($0.1.utf8)) }
    }
}
