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

    /// Reads one JWK; nil for a key of another type, curve or use, or a malformed one.
    public init?(jwk: [String: JSONValue]) {
        if let use = jwk["use"]?.string, use != "sig" { return nil }
        kid = jwk["kid"]?.string
        algorithm = jwk["alg"]?.string
        if let algorithm, !Self.algorithms.contains(algorithm) { return nil }
        func bytes(_ name: String) -> [UInt8]? { jwk[name]?.string.flatMap { Base64URL.decode($0) } }
        switch jwk["kty"]?.string {
        case "RSA":
            guard let n = bytes("n"), let e = bytes("e"), let key = try? _RSA.Signing.PublicKey(n: n, e: e) else { return nil }
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

/// The legacy impersonation auth token of Expert's old single sign-on: `imp_{epoch}_{md5}_{user}`, where the MD5 is
/// over `"{u}:{epoch}:{apikey}"` and `u` is the numeric user id or the username (without its `=`). Weak by design
/// (MD5, a shared site key): only ever accepted where a site's administrator turned legacy tokens on.
public struct ImpersonationToken: Sendable, Equatable {
    public var epoch: Int64
    public var hash: String
    /// The user segment as carried: digits or `=username`.
    public var user: String

    /// `^imp_(\d+)_([^_]{32})_(.+)$`, bounded.
    public static func parse(_ raw: String) -> ImpersonationToken? {
        guard raw.utf8.count <= 512, raw.hasPrefix("imp_") else { return nil }
        let parts = raw.dropFirst(4).split(separator: "_", maxSplits: 2, omittingEmptySubsequences: false)
        guard parts.count == 3, !parts[0].isEmpty, parts[0].utf8.count <= 12, parts[0].utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }),
              let epoch = Int64(parts[0]), parts[1].utf8.count == 32, !parts[2].isEmpty
        else { return nil }
        return ImpersonationToken(epoch: epoch, hash: String(parts[1]), user: String(parts[2]))
    }

    /// Lower-case hex MD5 of `"{u}:{epoch}:{apiKey}"`.
    public static func hash(user: String, epoch: Int64, apiKey: String) -> String {
        let u = user.hasPrefix("=") ? String(user.dropFirst()) : user
        return Secrets.hex(Array(Insecure.MD5.hash(data: Array("\(u):\(epoch):\(apiKey)".utf8))))
    }

    public static func make(user: String, epoch: Int64, apiKey: String) -> String {
        "imp_\(epoch)_\(hash(user: user, epoch: epoch, apiKey: apiKey))_\(user)"
    }

    /// Constant-time check of the hash under `apiKey`.
    public func verifies(apiKey: String) -> Bool {
        Secrets.constantTimeEqual(Array(Self.hash(user: user, epoch: epoch, apiKey: apiKey).utf8), Array(hash.lowercased().utf8))
    }
}

/// Small secrets kept in the store only sealed (AES-256-GCM, nonce included) under a key derived from the master key.
public enum Seal {
    public static func seal(_ plain: [UInt8], key: [UInt8]) throws -> [UInt8] {
        guard let combined = try AES.GCM.seal(plain, using: SymmetricKey(data: key)).combined else { throw MasterKeyError("cannot seal") }
        return Array(combined)
    }

    /// nil when the seal does not open under `key`.
    public static func open(_ sealed: [UInt8], key: [UInt8]) -> [UInt8]? {
        guard let box = try? AES.GCM.SealedBox(combined: sealed), let plain = try? AES.GCM.open(box, using: SymmetricKey(data: key)) else { return nil }
        return Array(plain)
    }
}
