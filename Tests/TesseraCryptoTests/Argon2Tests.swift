import Argon2
import Testing
import TesseraCrypto

// Expected values come from RFC 9106 and, where marked, from Python's argon2-cffi 25.1.0 (which wraps the
// reference C implementation): tags from `argon2.low_level.hash_secret_raw(..., type=Type.ID, version=19)`,
// PHC strings from `argon2.low_level.hash_secret` and `argon2.PasswordHasher(...).hash`, and the
// secret/associated-data tag from the same library's low-level `core()` with an `argon2_context`.

private func hex(_ bytes: [UInt8]) -> String {
    let digits = Array("0123456789abcdef")
    return String(bytes.flatMap { [digits[Int($0 >> 4)], digits[Int($0 & 15)]] })
}

private func utf8(_ text: String) -> [UInt8] { Array(text.utf8) }

private func params(_ m: Int, _ t: Int, _ p: Int, _ length: Int = 32) -> Argon2id.Parameters {
    Argon2id.Parameters(memoryKiB: m, iterations: t, parallelism: p, hashLength: length)
}

@Suite("Argon2id")
struct Argon2Tests {
    @Test("RFC 9106 §5.3 Argon2id test vector, with secret and associated data")
    func rfc9106Vector() throws {
        let tag = try Argon2id.hash(
            password: [UInt8](repeating: 0x01, count: 32),
            salt: [UInt8](repeating: 0x02, count: 16),
            parameters: params(32, 3, 4, 32),
            secret: [UInt8](repeating: 0x03, count: 8),
            associatedData: [UInt8](repeating: 0x04, count: 12))
        #expect(hex(tag) == "0d640df58d78766c08c037a34a8b53c9d01ef0452d75b65eb52520e96b01e659")
    }

    @Test("secret and associated data (argon2-cffi core() with an argon2_context)")
    func secretAndAssociatedData() throws {
        let tag = try Argon2id.hash(
            password: utf8("password"), salt: utf8("somesalt"), parameters: params(96, 2, 2, 48),
            secret: utf8("pepper-key"), associatedData: utf8("user:42"))
        #expect(hex(tag) == "30583925717f29dab5345201aa37ff6f128b27fec5ebba369c818f9941d0caebc746938a3a941ee174910fac49748109")
    }

    /// Raw tags from argon2-cffi's hash_secret_raw: several lane counts, memory not a multiple of 4p,
    /// inputs longer than one BLAKE2b block, and more than 128 blocks per segment (several address blocks).
    @Test("raw tags match argon2-cffi hash_secret_raw", arguments: [
        (utf8("password"), utf8("somesalt"), params(64, 2, 1),
         "16a1a498734609dd01456da406de9f3d9da93e6c86c300a12fc1465214ce4922"),
        (utf8("correct horse battery staple"), utf8("saltsaltsaltsalt"), params(256, 3, 2),
         "c9efd5b752e03d792721d5ac5cfb1643d435b7223a170afb76106c60fc6e2935"),
        ([], Array(0..<8), params(128, 1, 4, 16),
         "fc83d81d9f2c7f4d3e54ee2707ebbc8c"),
        ([UInt8](repeating: 0x78, count: 200), [UInt8](repeating: 0x73, count: 100), params(1000, 1, 3),
         "f2f90e7cf4a82ca566417f3ad81b00dde555fdf26c1cf68e96b8e5dfa639a21f"),
    ] as [([UInt8], [UInt8], Argon2id.Parameters, String)])
    func argon2CffiRaw(password: [UInt8], salt: [UInt8], parameters: Argon2id.Parameters, expected: String) throws {
        #expect(hex(try Argon2id.hash(password: password, salt: salt, parameters: parameters)) == expected)
    }

    /// The tag is H'^T (RFC 9106 §3.3), BLAKE2b stretched to T bytes: T <= 64 is a single BLAKE2b with a
    /// T-byte digest, T > 64 chains 64-byte BLAKE2b calls. These lengths straddle that boundary
    /// (expected values from argon2-cffi's hash_secret_raw).
    @Test("tag lengths exercise BLAKE2b and its variable-length form H'", arguments: [
        (4, "fb8a76c4"),
        (64, "082c4f6a9a333b868e1995828d9525f730c1a7dfb4b388d3a1f34bf9c9d1739a8da224f8c4b592a789c26834d03e231a2aff88d59df043bfa51baca51c75c43d"),
        (65, "5b665382ab6c4852b2630bd268ed9e21a1179a33ff9c2f5338b24602f4bd65fec081bd9a6a90643388c6ec6dd8eeb89e62fd3aaf07069532acb6f5521851f49bff"),
        (100, "5c5a4b04009c6266a1433de2f31c891c68f67ff93253185602584ef714927f06021fd8cadc5dba5dc5f977de188bedd02a275627d7b22a39af38a386f9a0923d48398401deb266e5ad74be68415a524456dbb0fbdaf94b6694f87cc5e2f3a77f8045d8b6"),
    ])
    func variableLengthTags(length: Int, expected: String) throws {
        let tag = try Argon2id.hash(password: utf8("pw"), salt: utf8("somesalt"), parameters: params(64, 1, 1, length))
        #expect(tag.count == length)
        #expect(hex(tag) == expected)
    }

    @Test("1024-byte tag: start, middle and end match argon2-cffi")
    func longestTag() throws {
        let tag = try Argon2id.hash(password: utf8("pw"), salt: utf8("somesalt"), parameters: params(64, 1, 1, 1024))
        #expect(tag.count == 1024)
        #expect(hex(Array(tag[0..<32])) == "32f54d25de52044d713a2fb8c508090c2d80a1c060afabedae6b77b3160414e5")
        #expect(hex(Array(tag[512..<544])) == "a31820127da6c63a5a2f58b9c915773171626ddb888e0bda011ec9fd2bbac40f")
        #expect(hex(Array(tag[992..<1024])) == "832dffdbf4e6a7a576ebdc71faa1d2802a5a4ff6cd51ab45098351b27957a77a")
    }

    @Test("OWASP parameters (m=19456, t=2, p=1) match argon2-cffi hash_secret_raw")
    func owaspSize() throws {
        #expect(Argon2id.Parameters.owasp == params(19_456, 2, 1, 32))
        let tag = try Argon2id.hash(password: utf8("password"), salt: utf8("somesalt"), parameters: .owasp)
        #expect(hex(tag) == "3cbd356a63f2794bb11bb1f4bc8af95fea87919bd69c79860465c562f87ccf61")
    }

    @Test("encode produces the same PHC string as argon2-cffi hash_secret")
    func encodeMatchesArgon2Cffi() throws {
        #expect(try Argon2id.encode(password: utf8("password"), salt: utf8("somesalt"), parameters: params(64, 2, 1))
                == "$argon2id$v=19$m=64,t=2,p=1$c29tZXNhbHQ$FqGkmHNGCd0BRW2kBt6fPZ2pPmyGwwChL8FGUhTOSSI")
        #expect(try Argon2id.encode(password: utf8("hunter2"), salt: utf8("0123456789abcdef"), parameters: params(256, 3, 2, 24))
                == "$argon2id$v=19$m=256,t=3,p=2$MDEyMzQ1Njc4OWFiY2RlZg$KZnFUTkHZLEHzBlFKR3fLE+fzfzqiNK2")
    }

    @Test("PHC strings from argon2-cffi's PasswordHasher verify, and report their parameters")
    func verifiesPasswordHasherOutput() throws {
        // PasswordHasher(time_cost=2, memory_cost=256, parallelism=2).hash("correct horse battery staple")
        let first = "$argon2id$v=19$m=256,t=2,p=2$q2ZLdhj213XpW6RsqNNb3Q$KCLJXJ6ZmWtEXEGOJiIxUMF8bnhwD9doZKHQm1xq4Uw"
        let result = try Argon2id.verify(password: utf8("correct horse battery staple"), encoded: first)
        #expect(result.matches)
        #expect(result.parameters == params(256, 2, 2, 32))
        #expect(result.parameters != .owasp)   // how a caller notices a hash that needs upgrading

        // PasswordHasher(time_cost=1, memory_cost=128, parallelism=1, hash_len=16, salt_len=8).hash("Tr0ub4dor&3")
        let second = "$argon2id$v=19$m=128,t=1,p=1$KJbf2G//9BE$jSQARhVg7juEHcMFlh9GGA"
        let other = try Argon2id.verify(password: utf8("Tr0ub4dor&3"), encoded: second)
        #expect(other.matches)
        #expect(other.parameters == params(128, 1, 1, 16))
        #expect(try Argon2id.verify(password: utf8("Tr0ub4dor&4"), encoded: second).matches == false)
    }

    @Test("encode then verify round-trips; a wrong password or tag does not match")
    func roundTrip() throws {
        let parameters = params(64, 1, 1, 20)
        let encoded = try Argon2id.encode(password: utf8("s3cret"), salt: Array(0..<16), parameters: parameters)
        #expect(encoded.hasPrefix("$argon2id$v=19$m=64,t=1,p=1$"))

        let good = try Argon2id.verify(password: utf8("s3cret"), encoded: encoded)
        #expect(good.matches)
        #expect(good.parameters == parameters)

        #expect(try Argon2id.verify(password: utf8("s3cret!"), encoded: encoded).matches == false)
        #expect(try Argon2id.verify(password: [], encoded: encoded).matches == false)

        // A well-formed string whose tag differs (33 bytes instead of 32) is simply a mismatch.
        let longerTag = "$argon2id$v=19$m=64,t=2,p=1$c29tZXNhbHQ$FqGkmHNGCd0BRW2kBt6fPZ2pPmyGwwChL8FGUhTOSSIx"
        #expect(try Argon2id.verify(password: utf8("password"), encoded: longerTag).matches == false)
    }

    @Test("hash refuses parameters outside the accepted bounds", arguments: [
        params(7, 1, 1), params(15, 1, 2), params(1_048_577, 1, 1), params(Int.max, 1, 1), params(-1, 1, 1),
        params(64, 0, 1), params(64, 65, 1), params(64, Int.min, 1),
        params(64, 1, 0), params(2048, 1, 17), params(64, 1, Int.max),
        params(64, 1, 1, 3), params(64, 1, 1, 1025), params(64, 1, 1, 0),
    ])
    func refusesInvalidParameters(parameters: Argon2id.Parameters) {
        #expect(throws: Argon2id.Failure.invalidParameters) {
            try Argon2id.hash(password: utf8("pw"), salt: utf8("somesalt"), parameters: parameters)
        }
    }

    @Test("hash refuses a salt shorter than 8 bytes")
    func refusesShortSalt() {
        #expect(throws: Argon2id.Failure.invalidParameters) {
            try Argon2id.hash(password: utf8("pw"), salt: utf8("1234567"), parameters: params(64, 1, 1))
        }
        #expect(throws: Argon2id.Failure.invalidParameters) {
            try Argon2id.encode(password: utf8("pw"), salt: [], parameters: params(64, 1, 1))
        }
    }

    static let validPHC = "$argon2id$v=19$m=64,t=2,p=1$c29tZXNhbHQ$FqGkmHNGCd0BRW2kBt6fPZ2pPmyGwwChL8FGUhTOSSI"
    static let salt = "c29tZXNhbHQ"
    static let tag = "FqGkmHNGCd0BRW2kBt6fPZ2pPmyGwwChL8FGUhTOSSI"

    @Test("the valid string the malformed table is derived from verifies")
    func validBaseline() throws {
        #expect(try Argon2id.verify(password: utf8("password"), encoded: Self.validPHC).matches)
    }

    @Test("malformed PHC strings throw invalidEncoding", arguments: [
        // empty and structure
        "", "$", "$$$$$", "$$$$$$", "argon2id",
        "argon2id$v=19$m=64,t=2,p=1$\(salt)$\(tag)",
        " \(validPHC)", "\(validPHC) ", "\(validPHC)\0", "\(validPHC)$",
        // wrong algorithm
        "$argon2i$v=19$m=64,t=2,p=1$\(salt)$\(tag)",
        "$argon2d$v=19$m=64,t=2,p=1$\(salt)$\(tag)",
        "$ARGON2ID$v=19$m=64,t=2,p=1$\(salt)$\(tag)",
        "$scrypt$v=19$m=64,t=2,p=1$\(salt)$\(tag)",
        // wrong or missing version
        "$argon2id$v=16$m=64,t=2,p=1$\(salt)$\(tag)",
        "$argon2id$v=019$m=64,t=2,p=1$\(salt)$\(tag)",
        "$argon2id$v=$m=64,t=2,p=1$\(salt)$\(tag)",
        "$argon2id$m=64,t=2,p=1$\(salt)$\(tag)",
        // missing fields
        "$argon2id$v=19$\(salt)$\(tag)",
        "$argon2id$v=19$m=64,t=2,p=1$\(salt)",
        "$argon2id$v=19$m=64,t=2,p=1$\(salt)$",
        "$argon2id$v=19$m=64,t=2,p=1$$\(tag)",
        "$argon2id$v=19$m=64,t=2$\(salt)$\(tag)",
        "$argon2id$v=19$m=64,t=2,p=1,$\(salt)$\(tag)",
        "$argon2id$v=19$m=64,,t=2,p=1$\(salt)$\(tag)",
        "$argon2id$v=19$m64,t=2,p=1$\(salt)$\(tag)",
        "$argon2id$v=19$=64,t=2,p=1$\(salt)$\(tag)",
        "$argon2id$v=19$t=2,m=64,p=1$\(salt)$\(tag)",
        "$argon2id$v=19$m=64,t=2,p=1,keyid=abc$\(salt)$\(tag)",
        // non-numeric or non-canonical numbers
        "$argon2id$v=19$m=6x,t=2,p=1$\(salt)$\(tag)",
        "$argon2id$v=19$m=,t=2,p=1$\(salt)$\(tag)",
        "$argon2id$v=19$m=-64,t=2,p=1$\(salt)$\(tag)",
        "$argon2id$v=19$m=+64,t=2,p=1$\(salt)$\(tag)",
        "$argon2id$v=19$m=064,t=2,p=1$\(salt)$\(tag)",
        "$argon2id$v=19$m=64 ,t=2,p=1$\(salt)$\(tag)",
        "$argon2id$v=19$m=0x40,t=2,p=1$\(salt)$\(tag)",
        "$argon2id$v=19$m=٦٤,t=2,p=1$\(salt)$\(tag)",
        // overflowing numbers
        "$argon2id$v=19$m=99999999999999999999999,t=2,p=1$\(salt)$\(tag)",
        "$argon2id$v=19$m=18446744073709551617,t=2,p=1$\(salt)$\(tag)",
        "$argon2id$v=19$m=4294967296,t=2,p=1$\(salt)$\(tag)",
        "$argon2id$v=19$m=64,t=4294967297,p=1$\(salt)$\(tag)",
        // huge or out-of-range values (a crafted stored hash must not make verify unbounded)
        "$argon2id$v=19$m=4294967295,t=2,p=1$\(salt)$\(tag)",
        "$argon2id$v=19$m=1048577,t=1,p=1$\(salt)$\(tag)",
        "$argon2id$v=19$m=64,t=65,p=1$\(salt)$\(tag)",
        "$argon2id$v=19$m=64,t=4294967295,p=1$\(salt)$\(tag)",
        "$argon2id$v=19$m=64,t=0,p=1$\(salt)$\(tag)",
        "$argon2id$v=19$m=64,t=2,p=0$\(salt)$\(tag)",
        "$argon2id$v=19$m=256,t=2,p=17$\(salt)$\(tag)",
        "$argon2id$v=19$m=15,t=2,p=2$\(salt)$\(tag)",
        "$argon2id$v=19$m=0,t=2,p=1$\(salt)$\(tag)",
        // bad base64: padding, foreign characters, impossible length, non-zero leftover bits
        "$argon2id$v=19$m=64,t=2,p=1$\(salt)=$\(tag)",
        "$argon2id$v=19$m=64,t=2,p=1$\(salt)$\(tag)=",
        "$argon2id$v=19$m=64,t=2,p=1$c29tZXNhbH!$\(tag)",
        "$argon2id$v=19$m=64,t=2,p=1$\(salt)$FqGkmHNGCd0BRW2kBt6f-Z2pPmyGwwChL8FGUhTOSSI",
        "$argon2id$v=19$m=64,t=2,p=1$\(salt)$FqGkmHNGCd0BRW2kBt6f Z2pPmyGwwChL8FGUhTOSSI",
        "$argon2id$v=19$m=64,t=2,p=1$\(salt)$F",
        "$argon2id$v=19$m=64,t=2,p=1$c29tZXNhbHR$\(tag)",
        "$argon2id$v=19$m=64,t=2,p=1$\(salt)$FqGkmHNGCd0BRW2kBt6fPZ2pPmyGwwChL8FGUhTOSSJ",
        // salt or tag of a length outside the bounds
        "$argon2id$v=19$m=64,t=2,p=1$c29tZXNh$\(tag)",
        "$argon2id$v=19$m=64,t=2,p=1$\(salt)$AAAA",
        "$argon2id$v=19$m=64,t=2,p=1$\(salt)$" + String(repeating: "A", count: 1368),
    ])
    func refusesMalformedPHC(encoded: String) {
        #expect(throws: Argon2id.Failure.invalidEncoding) {
            try Argon2id.verify(password: utf8("password"), encoded: encoded)
        }
    }
}
