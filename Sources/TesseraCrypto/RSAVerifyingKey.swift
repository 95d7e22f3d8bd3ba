import Crypto
import Foundation
import _CryptoExtras

/// The public half of a signing key: verifies RS256 tokens and renders itself as a JWK.
public struct RSAVerifyingKey: Sendable {
    public let kid: String
    private let key: _RSA.Signing.PublicKey
    /// Base64url modulus and exponent, as JWKS publishes them.
    public let n: String
    public let e: String

    public init(kid: String, derRepresentation: some DataProtocol) throws {
        self.kid = kid
        key = try _RSA.Signing.PublicKey(derRepresentation: derRepresentation)
        let primitives = try key.getKeyPrimitives()
        n = Base64URL.encode(primitives.modulus)
        e = Base64URL.encode(primitives.publicExponent)
    }

    public var derRepresentation: [UInt8] { Array(key.derRepresentation) }

    /// The JWK of RFC 7517 for this key.
    public var jwk: [(String, JSONValue)] {
        [("kty", .string("RSA")), ("use", .string("sig")), ("alg", .string("RS256")), ("kid", .string(kid)), ("n", .string(n)), ("e", .string(e))]
    }

    /// True when the token's header says RS256 and its signature verifies under this key.
    public func verifies(_ jwt: CompactJWT) -> Bool {
        guard jwt.header["alg"]?.string == "RS256" else { return false }
        return key.isValidSignature(_RSA.Signing.RSASignature(rawRepresentation: jwt.signature),
                                    for: SHA256.hash(data: jwt.signingInput), padding: .insecurePKCS1v1_5)
    }
}
