import Crypto
import Foundation
import _CryptoExtras

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
