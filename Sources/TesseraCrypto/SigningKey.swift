import Crypto
import Foundation
import _CryptoExtras

/// An RSA-2048 key that signs RS256 tokens (access tokens and id_tokens). The private half is kept in the store
/// only sealed (AES-GCM) under a key derived from the master key.
public struct RSASigningKey: Sendable {
    /// The key id published in JWKS and written in each token's header.
    public let kid: String
    private let privateKey: _RSA.Signing.PrivateKey
    public let publicKey: RSAVerifyingKey

    /// Generates a new key (about 50–200 ms: run it off the request path).
    public static func generate() throws -> RSASigningKey {
        try RSASigningKey(privateKey: _RSA.Signing.PrivateKey(keySize: .bits2048))
    }

    private init(privateKey: _RSA.Signing.PrivateKey) throws {
        self.privateKey = privateKey
        let der = privateKey.publicKey.derRepresentation
        // RFC 7638-style stability is not needed: the kid only has to be unique and stable for this key.
        self.kid = Base64URL.encode(SHA256.hash(data: der).prefix(16))
        self.publicKey = try RSAVerifyingKey(kid: kid, derRepresentation: der)
    }

    /// Restores a key from its sealed form. nil when the seal does not open (wrong master key or damaged data).
    public static func unseal(_ sealed: [UInt8], key: [UInt8]) -> RSASigningKey? {
        guard let der = Seal.open(sealed, key: key), let privateKey = try? _RSA.Signing.PrivateKey(derRepresentation: der) else { return nil }
        return try? RSASigningKey(privateKey: privateKey)
    }

    /// The private key in DER, sealed with AES-256-GCM under `key` (nonce included).
    public func sealed(key: [UInt8]) throws -> [UInt8] {
        try Seal.seal(Array(privateKey.derRepresentation), key: key)
    }

    /// Signs a compact JWT with RS256; header and claims are written in the order given, `alg`, `typ` and `kid`
    /// first.
    public func signJWT(claims: [(String, JSONValue)]) throws -> String {
        let header: [(String, JSONValue)] = [("alg", .string("RS256")), ("typ", .string("JWT")), ("kid", .string(kid))]
        let input = Base64URL.encode(Array(JSONValue.orderedObject(header).utf8)) + "." + Base64URL.encode(Array(JSONValue.orderedObject(claims).utf8))
        let signature = try privateKey.signature(for: SHA256.hash(data: Array(input.utf8)), padding: .insecurePKCS1v1_5)
        return input + "." + Base64URL.encode(signature.rawRepresentation)
    }
}

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

/// RFC 4648 base32 (upper case, with padding): the alphabet of CXone access-key ids and secrets.
public enum Base32 {
    private static let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567".utf8)

    public static func encode(_ bytes: [UInt8]) -> String {
        var out = [UInt8]()
        var buffer = 0
        var bits = 0
        for byte in bytes {
            buffer = (buffer << 8) | Int(byte)
            bits += 8
            while bits >= 5 {
                out.append(alphabet[(buffer >> (bits - 5)) & 31])
                bits -= 5
            }
        }
        if bits > 0 { out.append(alphabet[(buffer << (5 - bits)) & 31]) }
        while out.count % 8 != 0 { out.append(UInt8(ascii: "=")) }
        return String(decoding: out, as: UTF8.self)
    }
}
