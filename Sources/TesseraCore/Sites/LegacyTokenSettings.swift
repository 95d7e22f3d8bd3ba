import Foundation

/// Whether a site accepts legacy tokens, and its site API key, sealed under a key derived from the master key
/// (the impersonation token's MD5 needs the key itself, so it cannot be kept as a hash).
public struct LegacyTokenSettings: Sendable, Equatable {
    public var enabled: Bool
    public var sealedAPIKey: [UInt8]?

    public init(enabled: Bool = false, sealedAPIKey: [UInt8]? = nil) {
        self.enabled = enabled
        self.sealedAPIKey = sealedAPIKey
    }
}
