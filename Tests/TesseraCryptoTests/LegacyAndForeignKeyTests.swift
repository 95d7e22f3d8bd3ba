import Crypto
import Foundation
import Testing
@testable import TesseraCrypto

/// Expert's impersonation token (reference §8.2 vectors and a malformed-input table) and the JWK keys of trusted
/// identity providers.
@Suite struct ImpersonationTokenTests {
    @Test func referenceVectors() {
        #expect(ImpersonationToken.make(user: "=admin", epoch: 1_413_073_249, apiKey: "secretapikey")
                == "imp_1413073249_f888a14809e62848a36831871950e21b_=admin")
        #expect(ImpersonationToken.make(user: "1", epoch: 1_413_073_249, apiKey: "secretapikey")
                == "imp_1413073249_d1c47dd8d7f3c7aa3293a4dfc8c4fb0f_1")
        let parsed = ImpersonationToken.parse("imp_1413073249_f888a14809e62848a36831871950e21b_=admin")
        #expect(parsed == ImpersonationToken(epoch: 1_413_073_249, hash: "f888a14809e62848a36831871950e21b", user: "=admin"))
        #expect(parsed?.verifies(apiKey: "secretapikey") == true)
        #expect(parsed?.verifies(apiKey: "secretapikeY") == false)
        // The user segment is taken whole, underscores included.
        #expect(ImpersonationToken.parse("imp_1_0123456789abcdef0123456789abcdef_=a_b")?.user == "=a_b")
    }

    @Test(arguments: [
        "", "imp_", "imp__f888a14809e62848a36831871950e21b_1", "imp_x1_f888a14809e62848a36831871950e21b_1",
        "imp_1413073249_f888a14809e62848a36831871950e21_1", "imp_1413073249_f888a14809e62848a36831871950e21bb_1",
        "imp_1413073249_f888a14809e62848a36831871950e21b_", "imp_1413073249_f888a14809e62848a36831871950e21b",
        "IMP_1413073249_f888a14809e62848a36831871950e21b_1", "imp_-1_f888a14809e62848a36831871950e21b_1",
        "imp_1234567890123_f888a14809e62848a36831871950e21b_1", "imp_1_f888a14809e62848a36831871950e21b_" + String(repeating: "u", count: 600),
        "1_1413073249_f888a14809e62848a36831871950e21b", " imp_1413073249_f888a14809e62848a36831871950e21b_1",
    ])
    func malformedTokensDoNotParse(_ raw: String) {
        #expect(ImpersonationToken.parse(raw) == nil)
    }
}

@Suite struct ForeignVerifyingKeyTests {
    static func jwt(header: String, claims: String = #"{"sub":"x"}"#, sign: ([UInt8]) throws -> [UInt8]) rethrows -> String {
        let input = Base64URL.encode(Array(header.utf8)) + "." + Base64URL.encode(Array(claims.utf8))
        return input + "." + Base64URL.encode(try sign(Array(input.utf8)))
    }

    @Test func es256TokensVerifyUnderTheirJWKOnly() throws {
        let key = P256.Signing.PrivateKey()
        let raw = Array(key.publicKey.rawRepresentation)
        let jwk: [String: JSONValue] = ["kty": .string("EC"), "crv": .string("P-256"), "kid": .string("e1"),
                                        "x": .string(Base64URL.encode(raw.prefix(32))), "y": .string(Base64URL.encode(raw.suffix(32)))]
        let verifier = try #require(ForeignVerifyingKey(jwk: jwk))
        let token = try Self.jwt(header: #"{"alg":"ES256","kid":"e1"}"#) { Array(try key.signature(for: $0).rawRepresentation) }
        #expect(verifier.verifies(try #require(CompactJWT.parse(token))))
        let other = try Self.jwt(header: #"{"alg":"ES256","kid":"e1"}"#) { Array(try P256.Signing.PrivateKey().signature(for: $0).rawRepresentation) }
        #expect(!verifier.verifies(try #require(CompactJWT.parse(other))))
        // The same signature under another algorithm name is refused.
        let relabelled = try Self.jwt(header: #"{"alg":"ES384","kid":"e1"}"#) { Array(try key.signature(for: $0).rawRepresentation) }
        #expect(!verifier.verifies(try #require(CompactJWT.parse(relabelled))))
    }

    @Test func rs256TokensOfTheServersOwnKeysVerifyThroughTheirJWK() throws {
        let key = try RSASigningKey.generate()
        let jwk = Dictionary(uniqueKeysWithValues: key.publicKey.jwk)
        let verifier = try #require(ForeignVerifyingKey(jwk: jwk))
        let token = try key.signJWT(claims: [("sub", .string("x"))])
        #expect(verifier.verifies(try #require(CompactJWT.parse(token))))
        let parts = token.split(separator: ".")
        let forged = parts[0] + "." + Base64URL.encode(Array(#"{"sub":"y"}"#.utf8)) + "." + parts[2]
        #expect(!verifier.verifies(try #require(CompactJWT.parse(String(forged)))))
    }

    @Test func unsignedAndHMACTokensAreNeverAccepted() throws {
        let key = try RSASigningKey.generate()
        let verifier = try #require(ForeignVerifyingKey(jwk: Dictionary(uniqueKeysWithValues: key.publicKey.jwk)))
        let none = Base64URL.encode(Array(#"{"alg":"none"}"#.utf8)) + "." + Base64URL.encode(Array(#"{"sub":"x"}"#.utf8)) + "."
        #expect(CompactJWT.parse(none).map(verifier.verifies) != true)
        // HS256 keyed with the public key's modulus: the classic algorithm-confusion forgery.
        let hs = Self.jwt(header: #"{"alg":"HS256"}"#) { input in
            Array(HMAC<SHA256>.authenticationCode(for: input, using: SymmetricKey(data: Array(key.publicKey.n.utf8))))
        }
        #expect(!verifier.verifies(try #require(CompactJWT.parse(hs))))
    }

    @Test(arguments: [
        #"{"kty":"oct","k":"c2VjcmV0"}"#, #"{"kty":"RSA","n":"AQAB"}"#, #"{"kty":"RSA","n":"AQAB","e":"AQAB"}"#,
        #"{"kty":"EC","crv":"P-521","x":"AA","y":"AA"}"#, #"{"kty":"EC","crv":"P-256","x":"AA","y":"AA"}"#,
        #"{"kty":"RSA","use":"enc","n":"AQAB","e":"AQAB"}"#, #"{"kty":"RSA","alg":"HS256","n":"AQAB","e":"AQAB"}"#, #"{}"#,
    ])
    func unusableJWKsAreSkipped(_ json: String) throws {
        let members = try #require(JSONValue.parseObject(Array(json.utf8)))
        #expect(ForeignVerifyingKey(jwk: members) == nil)
        #expect(ForeignVerifyingKey.keySet(Array(#"{"keys":[\#(json)]}"#.utf8))?.isEmpty == true)
    }

    @Test func keySetsThatAreNotJWKSetsAreRefused() {
        for text in ["", "[]", #"{"keys":{}}"#, "not json", #"{"key":[]}"#] {
            #expect(ForeignVerifyingKey.keySet(Array(text.utf8)) == nil, "\(text)")
        }
    }
}
