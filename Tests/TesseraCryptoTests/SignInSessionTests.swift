import Foundation
import Testing
import TesseraCrypto

@Suite struct SignInSessionTests {
    let key = Array("0123456789abcdef0123456789abcdef".utf8)
    let site = UUID(uuidString: "6f1c2f4e-0d7a-4b8e-9a53-2f8d1f0e6c11")!

    @Test func issuedSessionsRoundTripAndVerifyOnlyForTheirSiteAndStamp() throws {
        let session = SignInSession.issue(key: key, siteID: site, userID: 7, securityStamp: "stamp", authTime: 1_800_000_000, expires: 1_800_028_800)
        let parsed = try #require(SignInSession.parse(session.string))
        #expect(parsed == session)
        #expect(parsed.verifies(key: key, siteID: site, securityStamp: "stamp"))
        #expect(!parsed.verifies(key: key, siteID: UUID(), securityStamp: "stamp"))
        #expect(!parsed.verifies(key: key, siteID: site, securityStamp: "changed"))
        #expect(!parsed.verifies(key: Array(key.reversed()), siteID: site, securityStamp: "stamp"))
        // A fresher auth_time (to pass max_age) or a later expiry breaks the MAC.
        var forged = parsed
        forged.authTime += 3600
        #expect(!forged.verifies(key: key, siteID: site, securityStamp: "stamp"))
        forged = parsed
        forged.expires += 3600
        #expect(!forged.verifies(key: key, siteID: site, securityStamp: "stamp"))
        // The nonce is covered too, and two sessions of one user in one second differ.
        forged = parsed
        forged.nonce = String(repeating: "0", count: 32)
        #expect(!forged.verifies(key: key, siteID: site, securityStamp: "stamp"))
        let twin = SignInSession.issue(key: key, siteID: site, userID: 7, securityStamp: "stamp", authTime: 1_800_000_000, expires: 1_800_028_800)
        #expect(twin.mac != session.mac && twin.nonce != session.nonce)
    }

    static let nonce = String(repeating: "1", count: 32)

    @Test(arguments: [
        "7.1.2." + String(repeating: "0", count: 64), "7.1.2.\(nonce)", "7.1.2.\(nonce.dropLast()).\(String(repeating: "0", count: 64))",
        "7.1.2.\(nonce)x.\(String(repeating: "0", count: 64))", "7.1.2.\(nonce).\(String(repeating: "0", count: 64)).",
        "", ".", "...", "7.1800000000.1800028800", "7.1800000000.1800028800.", "a.1.2." + String(repeating: "0", count: 64),
        "7.-1.2." + String(repeating: "0", count: 64), "7.1.2." + String(repeating: "0", count: 63), "7.1.2." + String(repeating: "g", count: 64),
        "7.1.2.3." + String(repeating: "0", count: 64), "12345678901.1.2." + String(repeating: "0", count: 64),
        "7.1234567890123.2." + String(repeating: "0", count: 64), " 7.1.2." + String(repeating: "0", count: 64),
        "7.1.2." + String(repeating: "0", count: 64) + " ", String(repeating: "9", count: 200), "７.1.2." + String(repeating: "0", count: 64),
        "7_1_2_" + String(repeating: "0", count: 64),
    ])
    func malformedSessionsAreRefused(_ text: String) {
        #expect(SignInSession.parse(text) == nil)
    }
}
