import Foundation
import TesseraCrypto

/// The fixed keys, site and clock every target verifies against, so that valid seeds stay valid from run to run and
/// the verifiers (not only the shape checks) are reached. Fuzzing fixtures, not secrets of any deployment.
enum Fixtures {
    static let siteID = UUID(uuidString: "5f0c6a52-3c1e-4d8e-9a57-2b1d7e4f9c30")!
    /// A site's auth-token key (auth tokens, sign-in sessions).
    static let authTokenKey = Array("tessera-fuzz-auth-token-key-0123".utf8)
    static let securityStamp = "fuzz-security-stamp"
    /// The long-term JWT key of a server token (HS512).
    static let longTermKey = Array("tessera-fuzz-long-term-jwt-key-of-a-server-token-0123456789abcdef".utf8)
    /// A site API key (impersonation tokens).
    static let apiKey = "tessera-fuzz-site-api-key"
    /// "Now" for the claims' times.
    static let now: Int64 = 1_750_000_000
    static let issuer = "https://tessera.fuzz"
}
