import Foundation
import TesseraCore
import TesseraCrypto

/// Legacy `imp_` impersonation tokens: ImpersonationToken.parse, the MD5 check under a fixed site API key, and the
/// user segment as LegacyTokenService reads it (UserReference).
enum ImpersonationTarget {
    static let target = FuzzTarget(name: "imp-token", run: run, seeds: seeds)

    static func run(_ bytes: [UInt8]) -> Bool {
        let raw = bytes.text
        guard let token = ImpersonationToken.parse(raw) else { return false }
        invariant(token.epoch >= 0 && token.hash.utf8.count == 32 && !token.user.isEmpty, "impersonation token fields out of shape")
        invariant(ImpersonationToken.parse("imp_\(token.epoch)_\(token.hash)_\(token.user)") == token, "impersonation token round trip")
        _ = UserReference.parse(token.user)
        let verified = token.verifies(apiKey: Fixtures.apiKey)
        if verified {
            invariant(ImpersonationToken.hash(user: token.user, epoch: token.epoch, apiKey: Fixtures.apiKey) == token.hash.lowercased(),
                      "an impersonation token verified that the API key did not make")
        }
        return verified
    }

    static func seeds() -> [(String, [UInt8])] {
        [
            ("by-id", ImpersonationToken.make(user: "42", epoch: Fixtures.now, apiKey: Fixtures.apiKey)),
            ("by-name", ImpersonationToken.make(user: "=jane_doe", epoch: Fixtures.now, apiKey: Fixtures.apiKey)),
        ].map { ($0.0, Array($0.1.utf8)) }
    }
}
