import Crypto
import Foundation
import _CryptoExtras

/// An RSA-2048 key that signs RS256 tokens (access tokens and id_tokens). The private half is kept in the store
/// only sealed (AES-GCM) under a key derived from the master key.
public struct RSASigningKey: Sendable {
    /// The key id published in JWKS and written in each token's header.
    public let kid: String
    private let privateKey: _RSA.Signing.PrivateKey
    /// The same private key in libcrypto, which signs.
    private let signer: OpenSSLRSASigner
    public let publicKey: RSAVerifyingKey

    /// Generates a new key (about 50–200 ms: run it off the request path).
    public static func generate() throws -> RSASigningKey {
        try RSASigningKey(privateKey: _RSA.Signing.PrivateKey(keySize: .bits2048))
    }

    private init(privateKey: _RSA.Signing.PrivateKey) throws {
        self.privateKey = privateKey
        guard let signer = OpenSSLRSASigner(privateKeyDER: Array(privateKey.derRepresentation)) else { throw OpenSSLRSASigner.SigningFailed() }
        self.signer = signer
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

    /// The RS256 signature of `message` by swift-crypto, for the test that both libraries' signatures agree.
    func swiftCryptoSignature(_ message: [UInt8]) throws -> [UInt8] {
        Array(try privateKey.signature(for: SHA256.hash(data: message), padding: .insecurePKCS1v1_5).rawRepresentation)
    }

    /// The RS256 signature of `message` by libcrypto.
    func openSSLSignature(_ message: [UInt8]) throws -> [UInt8] { try signer.sign(message) }

    /// Signs a compact JWT with RS256 (through libcrypto); header and claims are written in the order given, `alg`, `typ` and `kid`
    /// first.
    public func signJWT(claims: [(String, JSONValue)]) throws -> String {
        let header: [(String, JSONValue)] = [("alg", .string("RS256")), ("typ", .string("JWT")), ("kid", .string(kid))]
        let input = Base64URL.encode(Array(JSONValue.orderedObject(header).utf8)) + "." + Base64URL.encode(Array(JSONValue.orderedObject(claims).utf8))
        return input + "." + Base64URL.encode(try signer.sign(Array(input.utf8)))
    }
}
