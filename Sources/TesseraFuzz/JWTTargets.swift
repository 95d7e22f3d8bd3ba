import Crypto
import Foundation
import TesseraCore
import TesseraCrypto

/// Compact JWTs: CompactJWT.parse (base64url, the JSON of header and claims), the claim readers, and the two
/// signature checks — HS512 under a fixed key (long-term JWTs of server tokens), RS256 under a fixed public key
/// (Tessera's own access and id tokens), the latter checked by both verifiers that hold RSA keys.
enum JWTTargets {
    static let hs512 = FuzzTarget(name: "jwt-hs512", run: runHS512, seeds: seedsHS512)
    static let rs256 = FuzzTarget(name: "jwt-rs256", run: runRS256, seeds: seedsRS256)

    static func runHS512(_ bytes: [UInt8]) -> Bool {
        guard let jwt = parsed(bytes) else { return false }
        let verified = jwt.verifiesHS512(key: Fixtures.longTermKey)
        if verified {
            let expected = Array(HMAC<SHA512>.authenticationCode(for: jwt.signingInput, using: SymmetricKey(data: Fixtures.longTermKey)))
            invariant(jwt.header["alg"]?.string == "HS512" && expected == jwt.signature, "an HS512 token verified that the key did not sign")
        }
        // The HMAC family check agrees with the HS512 one for an HS512 header, and never passes another algorithm.
        let family = jwt.verifiesHMAC(key: Fixtures.longTermKey)
        if jwt.header["alg"]?.string == "HS512" { invariant(family == jwt.verifiesHS512(key: Fixtures.longTermKey), "HMAC verifiers disagree") }
        if !["HS256", "HS384", "HS512"].contains(jwt.header["alg"]?.string ?? "") { invariant(!family, "a non-HMAC alg verified as HMAC") }
        // What CredentialService reads of a long-term JWT before and after its signature.
        if let kid = jwt.header["kid"]?.string, kid.count <= 10 { _ = Int(kid) }
        _ = jwt.claims["aud"]?.string == CredentialService.longTermAudience || jwt.claims["aud"] == .array([.string(CredentialService.longTermAudience)])
        return verified
    }

    static func runRS256(_ bytes: [UInt8]) -> Bool {
        _ = CXoneTokenService.isCXoneToken(bytes.text)
        guard let jwt = parsed(bytes) else { return false }
        let own = publicKey.verifies(jwt)
        let foreign = foreignKey.verifies(jwt)
        if own { invariant(jwt.header["alg"]?.string == "RS256", "a token verified as RS256 whose header says otherwise") }
        if jwt.header["alg"]?.string == "RS256" { invariant(own == foreign, "the two RS256 verifiers disagree") }
        // The claims an access token's check reads.
        if let jti = jwt.claims["jti"]?.string { _ = TimeOrderedID.milliseconds(of: jti) }
        if let sub = jwt.claims["sub"]?.string, sub.hasPrefix("user:") { _ = UUID(uuidString: String(sub.dropFirst(5))) }
        if let agent = jwt.claims["icAgentId"]?.string, agent.utf8.count <= 10 { _ = Int(agent) }
        return own
    }

    /// Parses, reads every claim the verifiers read, and checks what parsing promises.
    static func parsed(_ bytes: [UInt8]) -> CompactJWT? {
        let raw = bytes.text
        guard let jwt = CompactJWT.parse(raw) else { return nil }
        invariant(raw.utf8.count <= CompactJWT.maxLength, "a token longer than the bound parsed")
        let parts = raw.split(separator: ".", omittingEmptySubsequences: false)
        invariant(parts.count == 3 && jwt.signingInput == Array("\(parts[0]).\(parts[1])".utf8), "signing input is not the token's first two parts")
        // base64url: the decoded signature encodes and decodes back to itself.
        invariant(Base64URL.decode(Base64URL.encode(jwt.signature)) == jwt.signature, "base64url round trip")
        // Header and claims written out and read again are the same JSON (JSONValue's writer against Foundation's reader).
        for object in [jwt.header, jwt.claims] {
            let text = JSONValue.object(object.map { ($0.key, $0.value) }).serialised
            invariant(sameJSON(object, JSONValue.parseObject(Array(text.utf8))), "JSON round trip of a JWT part: \(text.prefix(200))")
        }
        for name in ["exp", "nbf", "iat", "auth_time"] {
            if let time = jwt.time(name) { invariant(abs(time) < 1_000_000_000_000_000, "a time claim out of range") }
        }
        _ = jwt.audiences
        return jwt
    }

    /// The public half of an RSA-2048 key made for these fixtures; the seeds were signed with its private half
    /// (RSASigningKey.signJWT), which was then discarded: a mutated token can only verify by forging RS256.
    static let publicKeyDER = """
        MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA20yQ4NhJpHvZJkHtUQ00ZhvkuPFmKxdjas50GcvH85HwuVj4XSUm
        UQt6eTcul0nS+gU68e2NEL1eZF/YZIGOjrD6zSDQ42b4Lnkolmfdd7/08hLBoUl3EIVsIfSJfn8YUin27YNlp6+zxt3bkbKV
        QE6aCI3Ix/rrDWuX2i+bODuhAaanPlhgaRYmqH1K7bRZOCgkErSs7i0R+QgT8EEkOvTqDG6HZB4GlJJ228e1qBU4hrhcUb7k
        T3j8DZwYpfGfYNI/MrwZ3joHUYa3JKTSs8a63VBxaZLPHion+EWDTZD4QTIMi+eEeuMTY9LhxDdw7fmUxYiK5Jol8U8BLfkT
        iQIDAQAB
        """
    static let publicKey = try! RSAVerifyingKey(kid: "fuzz", derRepresentation: Data(base64Encoded: publicKeyDER, options: .ignoreUnknownCharacters)!)
    static let foreignKey = ForeignVerifyingKey(jwk: Dictionary(uniqueKeysWithValues: publicKey.jwk))!

    static func seedsHS512() -> [(String, [UInt8])] {
        let header: [(String, JSONValue)] = [("alg", .string("HS512")), ("kid", .string("17")), ("typ", .string("JWT"))]
        // Claims as CredentialService writes them (times as strings), and with numeric times and an audience list.
        let seed000: [(String, JSONValue)] = [
            ("sub", .string("fuzzkey0123456789abcdef")), ("aud", .string(CredentialService.longTermAudience)),
            ("exp", .string(String(Fixtures.now + 86_400))), ("iss", .string(Fixtures.issuer)),
            ("iat", .string(String(Fixtures.now))), ("nbf", .string(String(Fixtures.now - 1))),
        ]
        let numeric: [(String, JSONValue)] = [
            ("sub", .string("fuzzkey0123456789abcdef")), ("aud", .array([.string(CredentialService.longTermAudience), .string("other")])),
            ("exp", .number(Double(Fixtures.now + 86_400))), ("iss", .string(Fixtures.issuer)), ("iat", .number(Double(Fixtures.now))),
            ("extra", .object(["nested": .array([.bool(true), .null, .number(1.5)])])),
        ]
        return [
            ("long-term-jwt", Array(CompactJWT.signHS512(header: header, claims: seed000, key: Fixtures.longTermKey).utf8)),
            ("numeric-times", Array(CompactJWT.signHS512(header: header, claims: numeric, key: Fixtures.longTermKey).utf8)),
        ]
    }

    /// Written once with a throwaway key (see `publicKeyDER`); kept in fuzz/seeds/jwt-rs256 rather than remade.
    static func seedsRS256() -> [(String, [UInt8])] { [] }

    /// A new key: RS256 seeds shaped as Tessera's access token and id_token, written to `directory`; returns the
    /// public key's DER in base64, to become `publicKeyDER`.
    static func newRS256Fixture(_ directory: URL) throws -> String {
        let key = try RSASigningKey.generate()
        let tenant = "5f0c6a52-3c1e-4d8e-9a57-2b1d7e4f9c30"
        let common: [(String, JSONValue)] = [
            ("iss", .string(Fixtures.issuer)), ("sub", .string("user:11111111-2222-4333-8444-555555555555")), ("tenantId", .string(tenant)),
            ("icAgentId", .string("42")), ("iat", .number(Double(Fixtures.now))), ("exp", .number(Double(Fixtures.now + 3600))),
        ]
        let access = common + [
            ("token_use", .string("access")), ("jti", .string("0197a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b")), ("sid", .string("f1")),
            ("client_id", .string("app")), ("scope", .string("openid profile")), ("first_hand", .bool(true)),
        ]
        let id = common + [("token_use", .string("id")), ("aud", .array([.string("app")])), ("nonce", .string("n-0S6_WzA2Mj")),
                           ("auth_time", .number(Double(Fixtures.now)))]
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        try Data(try key.signJWT(claims: access).utf8).write(to: directory.appendingPathComponent("access-token"))
        try Data(try key.signJWT(claims: id).utf8).write(to: directory.appendingPathComponent("id-token"))
        return Data(key.publicKey.derRepresentation).base64EncodedString()
    }
}
