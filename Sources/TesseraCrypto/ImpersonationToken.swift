import Crypto
import Foundation
import _CryptoExtras

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
