import Foundation
import Testing
import TesseraCrypto

@Suite struct RequestSignatureTests {
    /// Reference §1.7: the two legacy vectors come from the PHP client's unit tests; the tkn_ ones follow the
    /// published algorithm with the same inputs.
    static let vectors: [(user: String, legacy: Bool, expected: String)] = [
        ("2", true, "foo_1413073249_2_8e158d680647ce83fef7c05fd189b537f9834e298734efe2c6b383540c1a67b7"),
        ("=andyv", true, "foo_1413073249_=andyv_1b4845fe082c17fc82c0f59f0e568b619cf83aed716e7320d3c843b259defff5"),
        ("2", false, "tkn_foo_1413073249_2_48897492fa44c73561a0e7401c63f6d2950c3af8c3dc5988ade8ce368b9bf5aa"),
        ("=andyv", false, "tkn_foo_1413073249_=andyv_173081dab806bd5882adaedff708a8b228951d95e2167ee32c296ecd14380d1a"),
    ]

    @Test(arguments: vectors.indices)
    func referenceVectors(_ index: Int) throws {
        let vector = Self.vectors[index]
        #expect(RequestSignature.sign(key: "foo", secret: "bar", epoch: 1_413_073_249, user: vector.user, legacy: vector.legacy) == vector.expected)
        let parsed = try #require(RequestSignature.parse(vector.expected))
        #expect(parsed.isLegacy == vector.legacy)
        #expect(parsed.key == "foo" && parsed.epoch == 1_413_073_249 && parsed.user == vector.user)
        #expect(parsed.verifies(secret: "bar"))
        #expect(!parsed.verifies(secret: "baz"))
        // Upper-case hex (the official C# sample) is the same signature.
        let upper = try #require(RequestSignature.parse(String(vector.expected.dropLast(64)) + vector.expected.suffix(64).uppercased()))
        #expect(upper.verifies(secret: "bar"))
    }

    @Test func usernamesMayContainUnderscoresAndPercentEncoding() throws {
        let signed = RequestSignature.sign(key: "k", secret: "s", epoch: 100, user: "=first_last")
        let parsed = try #require(RequestSignature.parse(signed))
        #expect(parsed.user == "=first_last")
        #expect(parsed.verifies(secret: "s"))
        // Signed over the plain name, sent percent-encoded.
        let plain = RequestSignature.sign(key: "k", secret: "s", epoch: 100, user: "=a@b.com")
        let encoded = plain.replacingOccurrences(of: "=a@b.com", with: "=a%40b.com")
        #expect(try #require(RequestSignature.parse(encoded)).verifies(secret: "s"))
    }

    static let malformed: [String] = [
        "", "tkn_", "foo", "foo_1", "foo_1_2", "tkn_foo_1_2", "_1413073249_2_" + String(repeating: "a", count: 64),
        "foo_abc_2_" + String(repeating: "a", count: 64), "foo_-1_2_" + String(repeating: "a", count: 64),
        "foo_1413073249__" + String(repeating: "a", count: 64), "foo_1413073249_2_" + String(repeating: "a", count: 63),
        "foo_1413073249_2_" + String(repeating: "a", count: 65), "foo_1413073249_2_" + String(repeating: "z", count: 64),
        "foo_1413073249_2 _" + String(repeating: "a", count: 64), "foo_1413073249_2_" + String(repeating: "a", count: 64) + "\n",
        "foo_9999999999999_2_" + String(repeating: "a", count: 64), "föo_1413073249_2_" + String(repeating: "a", count: 64),
    ]

    @Test(arguments: malformed)
    func malformedSignaturesDoNotParse(_ raw: String) {
        #expect(RequestSignature.parse(raw) == nil)
    }

    @Test func overlongSignatureDoesNotParse() {
        #expect(RequestSignature.parse("k_1_" + String(repeating: "u", count: 2000) + "_" + String(repeating: "a", count: 64)) == nil)
    }
}

@Suite struct CompactJWTTests {
    let key = Array(repeating: UInt8(9), count: 64)

    func token(alg: String = "HS512", claims: [(String, JSONValue)] = [("sub", .string("x")), ("exp", .string("2000000000"))]) -> String {
        CompactJWT.signHS512(header: [("alg", .string(alg)), ("kid", .string("3")), ("typ", .string("JWT"))], claims: claims, key: key)
    }

    @Test func signsAndVerifies() throws {
        let jwt = try #require(CompactJWT.parse(token()))
        #expect(jwt.verifiesHS512(key: key))
        #expect(!jwt.verifiesHS512(key: Array(repeating: 8, count: 64)))
        #expect(jwt.header["kid"]?.string == "3")
        #expect(jwt.time("exp") == 2_000_000_000)
    }

    @Test func timesAsNumbersOrStrings() throws {
        let jwt = try #require(CompactJWT.parse(token(claims: [("exp", .number(2_000_000_000)), ("iat", .string("12a")), ("nbf", .number(1.5))])))
        #expect(jwt.time("exp") == 2_000_000_000)
        #expect(jwt.time("iat") == nil)
        #expect(jwt.time("nbf") == nil)
        #expect(jwt.time("missing") == nil)
    }

    @Test func otherAlgorithmsNeverVerify() throws {
        let none = try #require(CompactJWT.parse(token(alg: "none")))
        #expect(!none.verifiesHS512(key: key))
        let rs = try #require(CompactJWT.parse(token(alg: "RS256")))
        #expect(!rs.verifiesHS512(key: key))
    }

    @Test func tamperedPayloadFails() throws {
        let parts = token().split(separator: ".").map(String.init)
        let forged = Base64URL.encode(Array(#"{"sub":"y","exp":"2000000000"}"#.utf8))
        let jwt = try #require(CompactJWT.parse([parts[0], forged, parts[2]].joined(separator: ".")))
        #expect(!jwt.verifiesHS512(key: key))
    }

    static let malformed: [String] = [
        "", ".", "..", "a.b", "a.b.c.d", "eyJ.eyJ.", "!!!.eyJhIjoxfQ.sig", "eyJhbGciOiJIUzUxMiJ9.bm90IGpzb24.c2ln",
        "W10.e30.c2ln", "eyJhbGciOiJIUzUxMiJ9.e30.c2ln=", "eyJhbGciOiJIUzUxMiJ9\n.e30.c2ln", " eyJhbGciOiJIUzUxMiJ9.e30.c2ln",
    ]

    @Test(arguments: malformed)
    func malformedTokensDoNotParse(_ raw: String) {
        #expect(CompactJWT.parse(raw) == nil)
    }

    @Test func base64URLRoundTrip() {
        for length in 0..<40 {
            let bytes = (0..<length).map { UInt8(($0 * 37 + 11) % 256) }
            #expect(Base64URL.decode(Base64URL.encode(bytes)) == bytes)
        }
        #expect(Base64URL.decode("a+b/") == nil)
        #expect(Base64URL.decode("a") == nil)
    }
}

@Suite struct MasterKeyTests {
    @Test func loadsFromHexOrCreatesAFileOnce() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("mk-\(UUID().uuidString)").path
        let first = try MasterKey.load(hex: nil, directory: dir)
        let again = try MasterKey.load(hex: nil, directory: dir)
        #expect(first.hex == again.hex)
        let attributes = try FileManager.default.attributesOfItem(atPath: dir + "/master.key")
        #expect((attributes[.posixPermissions] as? NSNumber)?.intValue == 0o600)
        let given = try MasterKey.load(hex: String(repeating: "ab", count: 32), directory: dir)
        #expect(given.hex == String(repeating: "ab", count: 32))
        #expect(throws: MasterKeyError.self) { try MasterKey.load(hex: "short", directory: dir) }
        #expect(first.fingerprint != given.fingerprint)
        #expect(first.derive256("a", "b") != first.derive256("a|b"))
    }

    /// The derivations are HMACs of `<byte length>:<part>` for the label and each part (Python's hmac computed the
    /// expected values), and stay so when many run at once on one key (each copies the pre-keyed HMAC).
    @Test func derivationsAreHMACsOfLengthPrefixedPartsEvenConcurrently() async throws {
        let key = try #require(MasterKey(bytes: Array(0..<32)))
        let expected256 = "924411bd65f8b00f043855b7606db640cb2a10fa6b325d9da4813e31526092c4"
        let expected512 = "d32453b1b51e93e379160a11f957663f71ff5f55ef781377abcedebe50f000fb"
            + "2e0c76edb646e53fc822e71fe7fcb6b3f1711cc5bc52f86097f2e8afa657ce61"
        #expect(Secrets.hex(key.derive256("label", "abc", "", "été")) == expected256)
        #expect(Secrets.hex(key.derive512("label", "abc", "", "été")) == expected512)
        let results = await withTaskGroup(of: Bool.self) { group in
            for index in 0..<64 {
                group.addTask {
                    (0..<200).allSatisfy { round in
                        (index + round) % 2 == 0
                            ? Secrets.hex(key.derive256("label", "abc", "", "été")) == expected256
                            : Secrets.hex(key.derive512("label", "abc", "", "été")) == expected512
                    }
                }
            }
            return await group.reduce(into: [Bool]()) { $0.append($1) }
        }
        #expect(results.count == 64 && results.allSatisfy { $0 })
    }
}

@Suite struct RS256AndJWSTests {
    @Test func signedTokensVerifyOnlyUnderTheirKey() throws {
        let key = try RSASigningKey.generate()
        let other = try RSASigningKey.generate()
        let token = try key.signJWT(claims: [("sub", .string("user:1")), ("n", .number(42))])
        let jwt = try #require(CompactJWT.parse(token))
        #expect(jwt.header["alg"]?.string == "RS256" && jwt.header["kid"]?.string == key.kid && jwt.header["typ"]?.string == "JWT")
        #expect(jwt.claims["sub"]?.string == "user:1")
        #expect(key.publicKey.verifies(jwt))
        #expect(!other.publicKey.verifies(jwt))
        // A changed payload, or the same signature under an HS header, does not verify.
        let parts = token.split(separator: ".")
        let forged = try #require(CompactJWT.parse(parts[0] + "." + Base64URL.encode(Array(#"{"sub":"user:2"}"#.utf8)) + "." + parts[2]))
        #expect(!key.publicKey.verifies(forged))
        let hsHeader = Base64URL.encode(Array(#"{"alg":"HS256","kid":"x"}"#.utf8))
        #expect(!key.publicKey.verifies(try #require(CompactJWT.parse(hsHeader + "." + parts[1] + "." + parts[2]))))
        #expect(key.kid != other.kid)
    }

    @Test func sealedKeysOpenOnlyWithTheirSealKey() throws {
        let key = try RSASigningKey.generate()
        let seal = Secrets.randomBytes(32)
        let sealed = try key.sealed(key: seal)
        let reopened = try #require(RSASigningKey.unseal(sealed, key: seal))
        #expect(reopened.kid == key.kid)
        #expect(reopened.publicKey.n == key.publicKey.n && reopened.publicKey.e == "AQAB")
        #expect(RSASigningKey.unseal(sealed, key: Secrets.randomBytes(32)) == nil)
        var damaged = sealed
        damaged[damaged.count / 2] ^= 1
        #expect(RSASigningKey.unseal(damaged, key: seal) == nil)
        // The modulus is 2048 bits.
        #expect(Base64URL.decode(key.publicKey.n)?.count == 256)
    }

    /// RFC 7515 appendix A.1: an HS256 JWS and its key.
    @Test func hmacJWSOfRFC7515AppendixA1Verifies() throws {
        let token = "eyJ0eXAiOiJKV1QiLA0KICJhbGciOiJIUzI1NiJ9.eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlfQ.dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"
        let key = try #require(Base64URL.decode("AyM1SysPpbyDfgZld3umj1qzKObwVMkoqQ-EstJQLr_T-1qS0gZH75aKtMN3Yj0iPS4hcgUuTwjAzZr1Z9CAow"))
        let jwt = try #require(CompactJWT.parse(token))
        #expect(jwt.verifiesHMAC(key: key))
        #expect(!jwt.verifiesHMAC(key: Array(key.dropLast())))
        #expect(!jwt.verifiesHS512(key: key))
    }

    /// RFC 4648 §10 test vectors.
    @Test func base32MatchesRFC4648() {
        let vectors = [("", ""), ("f", "MY======"), ("fo", "MZXQ===="), ("foo", "MZXW6==="), ("foob", "MZXW6YQ="), ("fooba", "MZXW6YTB"),
                       ("foobar", "MZXW6YTBOI======")]
        for (text, expected) in vectors { #expect(Base32.encode(Array(text.utf8)) == expected) }
        #expect(Base32.encode(Secrets.randomBytes(32)).count == 56)
        #expect(Base32.encode(Secrets.randomBytes(32)).hasSuffix("===="))
    }
}
