import Crypto
import Foundation

/// The server's master key: 32 random bytes from which every server-side secret is derived with HMAC, so that the
/// database never holds a usable secret. Instances that share a database must share the master key.
public struct MasterKey: Sendable {
    private let bytes: [UInt8]
    /// HMACs already keyed with `bytes`: a derivation copies one and hashes only its message (secrets are derived on
    /// every introspection by an oauth client and every token exchange).
    private let keyed: Keyed

    private final class Keyed: @unchecked Sendable {
        // Read-only after init; HMAC and its hashers are values (copy-on-write), so each derivation mutates its copy.
        let sha256: HMAC<SHA256>
        let sha512: HMAC<SHA512>

        init(_ key: SymmetricKey) {
            sha256 = HMAC(key: key)
            sha512 = HMAC(key: key)
        }
    }

    public init?(bytes: [UInt8]) {
        guard bytes.count == 32 else { return nil }
        self.bytes = bytes
        self.keyed = Keyed(SymmetricKey(data: bytes))
    }

    /// Parses 64 hex characters.
    public init?(hex: String) {
        guard let bytes = Secrets.unhex(hex.trimmingCharacters(in: .whitespacesAndNewlines)) else { return nil }
        self.init(bytes: bytes)
    }

    public static func generate() -> MasterKey { MasterKey(bytes: Secrets.randomBytes(32))! }

    public var hex: String { Secrets.hex(bytes) }

    /// HMAC-SHA256 of a labelled message: the labels keep the derivations for different purposes apart.
    public func derive256(_ label: String, _ parts: String...) -> [UInt8] {
        var hmac = keyed.sha256
        Self.feed(&hmac, label, parts)
        return hmac.finalize().withUnsafeBytes { Array($0) }
    }

    /// HMAC-SHA512 of a labelled message, for keys that want 64 bytes (HS512).
    public func derive512(_ label: String, _ parts: String...) -> [UInt8] {
        var hmac = keyed.sha512
        Self.feed(&hmac, label, parts)
        return hmac.finalize().withUnsafeBytes { Array($0) }
    }

    /// The message: the label and each part, each prefixed by its length in bytes and a colon (`5:label3:abc`), so
    /// that no two different part lists give the same message.
    private static func feed<H: HashFunction>(_ hmac: inout HMAC<H>, _ label: String, _ parts: [String]) {
        func add(_ part: String) {
            var part = part, length = "\(part.utf8.count):"  // short enough to stay in the String itself
            length.withUTF8 { hmac.update(data: UnsafeRawBufferPointer($0)) }
            part.withUTF8 { hmac.update(data: UnsafeRawBufferPointer($0)) }
        }
        add(label)
        for part in parts { add(part) }
    }

    /// A value that identifies the key without revealing it, stored beside the data so that an instance started
    /// with another key refuses to run instead of silently failing every signature.
    public var fingerprint: String { Secrets.hex(derive256("fingerprint")) }

    /// Loads the key from `TESSERA_MASTER_KEY`-style text, else from `<directory>/master.key`, creating that file
    /// (mode 0600) with a new key when it does not exist.
    public static func load(hex environmentValue: String?, directory: String) throws -> MasterKey {
        if let environmentValue {
            guard let key = MasterKey(hex: environmentValue) else { throw MasterKeyError("the master key must be 64 hex characters") }
            return key
        }
        let path = (directory as NSString).appendingPathComponent("master.key")
        if let text = try? String(contentsOfFile: path, encoding: .utf8) {
            guard let key = MasterKey(hex: text) else { throw MasterKeyError("\(path) does not hold 64 hex characters") }
            return key
        }
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        let key = generate()
        guard FileManager.default.createFile(atPath: path, contents: Data((key.hex + "\n").utf8), attributes: [.posixPermissions: 0o600]) else {
            throw MasterKeyError("cannot write \(path)")
        }
        return key
    }
}

/// The master key cannot be used.
public struct MasterKeyError: Error, CustomStringConvertible, Sendable {
    public var description: String
    public init(_ description: String) { self.description = description }
}
