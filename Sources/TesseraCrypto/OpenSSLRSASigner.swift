import COpenSSL
import Foundation

/// Signs with an RSA private key through OpenSSL's libcrypto (RSASSA-PKCS1-v1_5 with SHA-256: RS256). On this kind
/// of machine libcrypto signs RSA-2048 about twice as fast as the BoringSSL inside swift-crypto, and signing is the
/// ceiling of every token answer; swift-crypto keeps everything else (key generation, the public half, verifying,
/// HMAC, AES-GCM, SHA). An `EVP_PKEY` is only read while signing, which OpenSSL allows from many threads at once.
final class OpenSSLRSASigner: @unchecked Sendable {
    private let key: OpaquePointer
    /// SHA-256, fetched once (an implicit fetch on every signature costs a provider look-up).
    private let sha256: OpaquePointer

    /// From the DER of the private key (PKCS#1 or PKCS#8). nil when libcrypto does not read it.
    init?(privateKeyDER der: [UInt8]) {
        var key: OpaquePointer?
        der.withUnsafeBufferPointer { buffer in
            var start = buffer.baseAddress
            key = d2i_AutoPrivateKey(nil, &start, buffer.count)
        }
        guard let key else { return nil }
        guard let sha256 = EVP_MD_fetch(nil, "SHA256", nil) else {
            EVP_PKEY_free(key)
            return nil
        }
        self.key = key
        self.sha256 = sha256
    }

    deinit {
        EVP_PKEY_free(key)
        EVP_MD_free(sha256)
    }

    struct SigningFailed: Error {}

    /// The RS256 signature of `message`.
    func sign(_ message: [UInt8]) throws -> [UInt8] {
        guard let context = EVP_MD_CTX_new() else { throw SigningFailed() }
        defer { EVP_MD_CTX_free(context) }
        guard EVP_DigestSignInit(context, nil, sha256, nil, key) == 1 else { throw SigningFailed() }
        var length = 0
        guard EVP_DigestSign(context, nil, &length, message, message.count) == 1 else { throw SigningFailed() }
        var signature = [UInt8](repeating: 0, count: length)
        guard EVP_DigestSign(context, &signature, &length, message, message.count) == 1 else { throw SigningFailed() }
        return Array(signature.prefix(length))
    }
}
