import Foundation
import TesseraCore
import TesseraCrypto

/// `X-Deki-Token` server-token signatures: RequestSignature.parse, then verification under a fixed secret, and the
/// user segment as CredentialService reads it (UserReference).
enum DekiTokenTarget {
    static let key = "fuzzkey0123456789abcdef"
    static let secret = "fuzz-server-token-secret"
    static let epoch: Int64 = 1_750_000_000

    static let target = FuzzTarget(name: "deki-token", run: run, seeds: seeds)

    static func run(_ bytes: [UInt8]) -> Bool {
        let raw = bytes.text
        guard let signature = RequestSignature.parse(raw) else { return false }
        invariant(signature.hash.count == 32, "a parsed signature carries a 32-byte hash")
        _ = UserReference.parse(signature.user)
        // Parsing what was parsed, written back in the canonical form, gives the same signature.
        let canonical = (signature.isLegacy ? "" : "tkn_") + "\(signature.key)_\(signature.epoch)_\(signature.user)_\(Secrets.hex(signature.hash))"
        invariant(RequestSignature.parse(canonical) == signature, "signature round trip")
        // Verification accepts only a hash made with the secret over the message for the user as received or as decoded.
        let verified = signature.verifies(secret: secret)
        if verified {
            let mac = { (user: String) in Secrets.hmacSHA256(key: Array(secret.utf8), message: Array(signature.message(user: user).utf8)) }
            let decoded = signature.user.removingPercentEncoding
            invariant(mac(signature.user) == signature.hash || decoded.map { mac($0) == signature.hash } == true,
                      "a signature verified that was not made with the secret")
        }
        return verified
    }

    static func seeds() -> [(String, [UInt8])] {
        [
            ("signed-id", RequestSignature.sign(key: key, secret: secret, epoch: epoch, user: "42")),
            ("signed-name", RequestSignature.sign(key: key, secret: secret, epoch: epoch, user: "=jane_doe")),
            ("signed-encoded-name", RequestSignature.sign(key: key, secret: secret, epoch: epoch, user: "=j%C3%A9r%C3%B4me")),
            ("legacy", RequestSignature.sign(key: key, secret: secret, epoch: epoch, user: "7", legacy: true)),
        ].map { ($0.0, Array($0.1.utf8)) }
    }
}
