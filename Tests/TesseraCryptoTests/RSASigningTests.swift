import Foundation
import Testing
@testable import TesseraCrypto

/// RS256 is signed through libcrypto: PKCS#1 v1.5 signatures are deterministic, so libcrypto's must equal
/// swift-crypto's byte for byte, and verify under the public key that JWKS publishes.
@Suite struct RSASigningTests {
    @Test func libcryptoAndSwiftCryptoSignTheSameBytes() throws {
        for _ in 0..<3 {
            let key = try RSASigningKey.generate()
            for message in [[], Array("header.claims".utf8), (0..<5000).map { UInt8(truncatingIfNeeded: $0 &* 31) }] as [[UInt8]] {
                let fromOpenSSL = try key.openSSLSignature(message)
                #expect(fromOpenSSL.count == 256)
                #expect(fromOpenSSL == (try key.swiftCryptoSignature(message)))
            }
        }
    }

    @Test func aSignedJWTVerifiesAndAnUnsealedKeySignsAlike() throws {
        let key = try RSASigningKey.generate()
        let jwt = try key.signJWT(claims: [("sub", .string("user:1")), ("iat", .number(1_700_000_000))])
        let parsed = try #require(CompactJWT.parse(jwt))
        #expect(key.publicKey.verifies(parsed))
        let sealKey = (0..<32).map { UInt8($0) }
        let restored = try #require(RSASigningKey.unseal(try key.sealed(key: sealKey), key: sealKey))
        #expect(try restored.signJWT(claims: [("sub", .string("user:1")), ("iat", .number(1_700_000_000))]) == jwt)
        // A tampered token does not verify.
        var bytes = Array(jwt.utf8)
        bytes[bytes.count - 5] = bytes[bytes.count - 5] == UInt8(ascii: "A") ? UInt8(ascii: "B") : UInt8(ascii: "A")
        #expect(!key.publicKey.verifies(try #require(CompactJWT.parse(String(decoding: bytes, as: UTF8.self)))))
    }

    @Test func manyTasksSignWithOneKeyAtOnce() async throws {
        let key = try RSASigningKey.generate()
        let message = Array("concurrent".utf8)
        let expected = try key.swiftCryptoSignature(message)
        try await withThrowingTaskGroup(of: [UInt8].self) { group in
            for _ in 0..<64 { group.addTask { try key.openSSLSignature(message) } }
            for try await signature in group { #expect(signature == expected) }
        }
    }
}
