import Argon2
import Foundation
import Testing
import TesseraCrypto

@Suite struct AuthTokenTests {
    let key = Array(repeating: UInt8(7), count: 32)
    let site = UUID(uuidString: "6f1c2b1e-8d4e-4a57-9a0e-3f1f2f0b9c11")!

    @Test func issuedTokenVerifiesAndRoundTrips() throws {
        let token = AuthToken.issue(key: key, siteID: site, userID: 42, securityStamp: "stamp", expires: 2_000_000_000)
        let parsed = try #require(AuthToken.parse(token.string))
        #expect(parsed == token)
        #expect(parsed.userID == 42)
        #expect(parsed.verifies(key: key, siteID: site, securityStamp: "stamp"))
    }

    @Test func changedStampSiteKeyOrFieldsDoNotVerify() throws {
        let token = AuthToken.issue(key: key, siteID: site, userID: 42, securityStamp: "stamp", expires: 2_000_000_000)
        #expect(!token.verifies(key: key, siteID: site, securityStamp: "new-stamp"))
        #expect(!token.verifies(key: key, siteID: UUID(), securityStamp: "stamp"))
        #expect(!token.verifies(key: Array(repeating: 8, count: 32), siteID: site, securityStamp: "stamp"))
        var otherUser = token
        otherUser.userID = 43
        #expect(!otherUser.verifies(key: key, siteID: site, securityStamp: "stamp"))
        var later = token
        later.expires += 1
        #expect(!later.verifies(key: key, siteID: site, securityStamp: "stamp"))
    }

    @Test func upperCaseMacIsTheSameToken() throws {
        let token = AuthToken.issue(key: key, siteID: site, userID: 1, securityStamp: "s", expires: 2_000_000_000)
        let parsed = try #require(AuthToken.parse("1_2000000000_" + token.mac.uppercased()))
        #expect(parsed.verifies(key: key, siteID: site, securityStamp: "s"))
    }

    static let malformed: [String] = [
        "", "_", "__", "1_2", "1_2_3_4", "a_2000000000_" + String(repeating: "a", count: 64),
        "1_x_" + String(repeating: "a", count: 64), "1_2000000000_" + String(repeating: "a", count: 63),
        "1_2000000000_" + String(repeating: "g", count: 64), "1_2000000000_" + String(repeating: "a", count: 65),
        "-1_2000000000_" + String(repeating: "a", count: 64), "1_-5_" + String(repeating: "a", count: 64),
        " 1_2000000000_" + String(repeating: "a", count: 64), "1_2000000000_" + String(repeating: "a", count: 64) + "\n",
        "99999999999_2000000000_" + String(repeating: "a", count: 64), String(repeating: "1", count: 129),
        "1_20000000000000000000_" + String(repeating: "a", count: 64), "١_2000000000_" + String(repeating: "a", count: 64),
    ]

    @Test(arguments: malformed) func malformedTokensDoNotParse(_ raw: String) {
        #expect(AuthToken.parse(raw) == nil)
    }
}

@Suite struct SecretsTests {
    @Test func hexRoundTripInBothCases() throws {
        let bytes = Secrets.randomBytes(32)
        let hex = Secrets.hex(bytes)
        #expect(hex.count == 64)
        #expect(hex == hex.lowercased())
        #expect(Secrets.unhex(hex) == bytes)
        #expect(Secrets.unhex(hex.uppercased()) == bytes)
        #expect(Secrets.unhex("abc") == nil)
        #expect(Secrets.unhex("zz") == nil)
    }

    @Test func randomValuesDiffer() {
        #expect(Secrets.randomHex(32) != Secrets.randomHex(32))
        let password = Secrets.randomPassword()
        #expect(password.count == 20)
        #expect(password.allSatisfy { $0.isLetter || $0.isNumber })
    }

    @Test func constantTimeEqualCompares() {
        #expect(Secrets.constantTimeEqual([1, 2, 3], [1, 2, 3]))
        #expect(!Secrets.constantTimeEqual([1, 2, 3], [1, 2, 4]))
        #expect(!Secrets.constantTimeEqual([1, 2, 3], [1, 2]))
        #expect(Secrets.constantTimeEqual([UInt8](), [UInt8]()))
    }

    @Test func hmacMatchesRFC4231Case2() {
        // RFC 4231 test case 2: key "Jefe", data "what do ya want for nothing?".
        let mac = Secrets.hmacSHA256(key: Array("Jefe".utf8), message: Array("what do ya want for nothing?".utf8))
        #expect(Secrets.hex(mac) == "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843")
    }
}

@Suite struct PasswordHasherTests {
    let small = Argon2id.Parameters(memoryKiB: 64, iterations: 1, parallelism: 1)

    @Test func hashThenVerify() async throws {
        let hasher = PasswordHasher(parameters: small)
        let encoded = try await hasher.hash("correct horse")
        #expect(encoded.hasPrefix("$argon2id$v=19$m=64,t=1,p=1$"))
        let good = try await hasher.verify("correct horse", against: encoded)
        #expect(good.matches && !good.needsRehash)
        let bad = try await hasher.verify("wrong horse", against: encoded)
        #expect(!bad.matches)
    }

    @Test func olderParametersAskForRehash() async throws {
        let old = try await PasswordHasher(parameters: small).hash("pw-123456")
        let stronger = PasswordHasher(parameters: Argon2id.Parameters(memoryKiB: 128, iterations: 2, parallelism: 1))
        let outcome = try await stronger.verify("pw-123456", against: old)
        #expect(outcome.matches && outcome.needsRehash)
    }

    @Test func missingOrMalformedHashNeverMatches() async throws {
        let hasher = PasswordHasher(parameters: small)
        #expect(try await hasher.verify("anything", against: nil).matches == false)
        #expect(try await hasher.verify("anything", against: "$argon2id$garbage").matches == false)
        #expect(try await hasher.verify("", against: "").matches == false)
    }

    @Test func boundedWaitListRefusesWhenFull() async throws {
        // One slot and no waiting room: of many concurrent hashes, some must be refused as busy.
        let hasher = PasswordHasher(parameters: Argon2id.Parameters(memoryKiB: 4096, iterations: 2, parallelism: 1), concurrency: 1, maxWaiting: 0)
        let outcomes = await withTaskGroup(of: Bool.self) { group in
            for _ in 0..<8 { group.addTask { (try? await hasher.hash("pw-123456")) != nil } }
            return await group.reduce(into: [Bool]()) { $0.append($1) }
        }
        #expect(outcomes.contains(true))
        #expect(outcomes.contains(false))
    }
}

@Suite struct UUIDTextTests {
    @Test func lowercasedStringIsTheCanonicalForm() {
        for _ in 0..<200 {
            let id = UUID()
            #expect(id.lowercasedString == id.uuidString.lowercased())
        }
        #expect(UUID(uuidString: "00000000-0000-0000-0000-0000000000FF")!.lowercasedString == "00000000-0000-0000-0000-0000000000ff")
    }
}
