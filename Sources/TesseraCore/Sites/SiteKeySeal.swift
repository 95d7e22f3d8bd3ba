import Foundation
import TesseraCrypto

/// A site's auth-token key at rest: sealed (AES-256-GCM) under a key derived from the master key and the site, so
/// the database alone yields no key that signs an auth token, a sign-in session or a form's CSRF token. A stored
/// key of exactly 32 bytes is one written before keys were sealed; the server seals it at start.
public struct SiteKeySeal: Sendable {
    let masterKey: MasterKey

    public init(masterKey: MasterKey) { self.masterKey = masterKey }

    private func sealKey(_ site: UUID) -> [UInt8] { masterKey.derive256("site-auth-token-key", site.lowercasedString) }

    public func seal(_ key: [UInt8], site: UUID) throws -> [UInt8] { try Seal.seal(key, key: sealKey(site)) }

    /// The key itself; nil when the seal does not open under this master key.
    public func open(_ stored: [UInt8], site: UUID) -> [UInt8]? {
        Self.isSealed(stored) ? Seal.open(stored, key: sealKey(site)) : stored
    }

    public static func isSealed(_ stored: [UInt8]) -> Bool { stored.count != 32 }
}
