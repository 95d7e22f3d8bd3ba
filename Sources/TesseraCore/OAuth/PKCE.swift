import TesseraCrypto

/// Proof Key for Code Exchange (RFC 7636), S256 only.
public enum PKCE {
    /// §4.1: 43 to 128 unreserved characters (a challenge, base64url of 32 bytes, has this shape too).
    public static func isWellFormed(_ verifier: String) -> Bool {
        (43...128).contains(verifier.utf8.count) && verifier.utf8.allSatisfy {
            ($0 >= 0x41 && $0 <= 0x5A) || ($0 >= 0x61 && $0 <= 0x7A) || ($0 >= 0x30 && $0 <= 0x39) || $0 == 0x2D || $0 == 0x2E || $0 == 0x5F
                || $0 == 0x7E
        }
    }

    /// §4.6: base64url(SHA-256(verifier)) equals the challenge, compared in constant time.
    public static func verifies(_ verifier: String?, challenge: String) -> Bool {
        guard let verifier, isWellFormed(verifier) else { return false }
        return Secrets.constantTimeEqual(Array(Base64URL.encode(Secrets.sha256(Array(verifier.utf8))).utf8), Array(challenge.utf8))
    }
}
