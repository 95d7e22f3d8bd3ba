import Crypto
import Foundation
import _CryptoExtras

/// A public key of another issuer, read from its JWK (RFC 7517): verifies the ID tokens a trusted identity
/// provider signs. RSA keys (RS256/384/512, at least 2048 bits) and EC keys on P-256 and P-384 (ES256/384).
/// `none` and HMAC algorithms are never accepted from a foreign issuer.
public struct ForeignVerifyingKey: Sendable {
    enum Material: Sendable {
        case rsa(_RSA.Signing.PublicKey)
        // swift-crypto's EC keys are not Sendable: keep the raw x‖y and rebuild the key when verifying.
        case p256([UInt8])
        case p384([UInt8])
    }

    public let kid: String?
    /// The JWK's `alg`, when it names one: a token must then use exactly that algorithm.
    public let algorithm: String?
    let material: Material

    public static let algorithms: Set<String> = ["RS256", "RS384", "RS512", "ES256", "ES384"]
    static let minimumRSABytes = 256

    /// True when the key can check an RS256 signature (an RSA key whose `alg`, if any, is RS256).
    public var verifiesRS256: Bool {
        guard case .rsa = material else { return false }
        return algorithm == nil || algorithm == "RS256"
    }

    /// Reads one JWK; nil for a key of another type, curve or use, or a malformed one.
    public init?(jwk: [String: JSONValue]) {
        if let use = jwk["use"]?.string, use != "sig" { return nil }
        kid = jwk["kid"]?.string
        algorithm = jwk["alg"]?.string
        if let algorithm, !Self.algorithms.contains(algorithm) { return nil }
        func bytes(_ name: String) -> [UInt8]? { jwk[name]?.string.flatMap { Base64URL.decode($0) } }
        switch jwk["kty"]?.string {
        case "RSA":
            // At least 2048 bits (NIST SP 800-131A): the library would take a smaller modulus.
            guard let n = bytes("n"), n.drop(while: { $0 == 0 }).count >= Self.minimumRSABytes, let e = bytes("e"),
                  let key = try? _RSA.Signing.PublicKey(n: n, e: e)
            else { return nil }
            material = .rsa(key)
        case "EC":
            guard let x = bytes("x"), let y = bytes("y") else { return nil }
            switch jwk["crv"]?.string {
            case "P-256":
                guard x.count == 32, y.count == 32, (try? P256.Signing.PublicKey(rawRepresentation: x + y)) != nil else { return nil }
                material = .p256(x + y)
            case "P-384":
                guard x.count == 48, y.count == 48, (try? P384.Signing.PublicKey(rawRepresentation: x + y)) != nil else { return nil }
                material = .p384(x + y)
            default: return nil
            }
        default: return nil
        }
    }

    /// Reads a JWK Set (`{"keys": [...]}`), skipping keys this server cannot use.
    public static func keySet(_ json: [UInt8]) -> [ForeignVerifyingKey]? {
        guard let document = JSONValue.parseObject(json), case .array(let keys)? = document["keys"] else { return nil }
        return keys.compactMap { key in
            if case .object(let members) = key { ForeignVerifyingKey(jwk: members) } else { nil }
        }
    }

    /// True when the token's `alg` suits this key and its signature verifies.
    public func verifies(_ jwt: CompactJWT) -> Bool {
        guard let alg = jwt.header["alg"]?.string, Self.algorithms.contains(alg), algorithm == nil || algorithm == alg else { return false }
        let input = jwt.signingInput
        switch (material, alg) {
        case (.rsa(let key), "RS256"):
            return key.isValidSignature(_RSA.Signing.RSASignature(rawRepresentation: jwt.signature), for: SHA256.hash(data: input), padding: .insecurePKCS1v1_5)
        case (.rsa(let key), "RS384"):
            return key.isValidSignature(_RSA.Signing.RSASignature(rawRepresentation: jwt.signature), for: SHA384.hash(data: input), padding: .insecurePKCS1v1_5)
        case (.rsa(let key), "RS512"):
            return key.isValidSignature(_RSA.Signing.RSASignature(rawRepresentation: jwt.signature), for: SHA512.hash(data: input), padding: .insecurePKCS1v1_5)
        case (.p256(let raw), "ES256"):
            guard let key = try? P256.Signing.PublicKey(rawRepresentation: raw),
                  let signature = try? P256.Signing.ECDSASignature(rawRepresentation: jwt.signature) else { return false }
            return key.isValidSignature(signature, for: SHA256.hash(data: input))
        case (.p384(let raw), "ES384"):
            guard let key = try? P384.Signing.PublicKey(rawRepresentation: raw),
                  let signature = try? P384.Signing.ECDSASignature(rawRepresentation: jwt.signature) else { return false }
            return key.isValidSignature(signature, for: SHA384.hash(data: input))
        default:
            return false
        }
    }
}
