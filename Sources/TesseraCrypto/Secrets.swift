import COpenSSL
import Crypto
import Foundation

/// Generation, encoding and comparison of secrets.
public enum Secrets {
    /// Cryptographically secure random bytes, from libcrypto's generator (a DRBG the operating system seeds and
    /// reseeds): one call for all of them, where `SystemRandomNumberGenerator` makes a system call per eight bytes.
    public static func randomBytes(_ count: Int) -> [UInt8] {
        guard count > 0 else { return [] }
        return [UInt8](unsafeUninitializedCapacity: count) { buffer, initialized in
            guard RAND_bytes(buffer.baseAddress, Int32(count)) == 1 else { fatalError("libcrypto's random generator failed") }
            initialized = count
        }
    }

    /// Lower-case hex of random bytes: `randomHex(32)` is 64 characters.
    public static func randomHex(_ byteCount: Int) -> String { hex(randomBytes(byteCount)) }

    /// A password a person can type: letters and digits without look-alikes, about 5.9 bits per character.
    public static func randomPassword(length: Int = 20) -> String {
        let alphabet = Array("abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789")
        var generator = SystemRandomNumberGenerator()
        return String((0..<length).map { _ in alphabet[Int.random(in: 0..<alphabet.count, using: &generator)] })
    }

    public static func hex<Bytes: Sequence>(_ bytes: Bytes) -> String where Bytes.Element == UInt8 {
        let digits = Array("0123456789abcdef".utf8)
        var out = [UInt8]()
        out.reserveCapacity(64)
        for byte in bytes {
            out.append(digits[Int(byte >> 4)])
            out.append(digits[Int(byte & 0x0F)])
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// Decodes hex in either case; nil for odd length or a non-hex character.
    public static func unhex(_ text: some StringProtocol) -> [UInt8]? {
        let utf8 = Array(text.utf8)
        guard utf8.count % 2 == 0 else { return nil }
        var out = [UInt8]()
        out.reserveCapacity(utf8.count / 2)
        var index = 0
        while index < utf8.count {
            guard let high = nibble(utf8[index]), let low = nibble(utf8[index + 1]) else { return nil }
            out.append(high << 4 | low)
            index += 2
        }
        return out
    }

    /// The value of one hex digit (either case), or nil.
    public static func nibble(_ c: UInt8) -> UInt8? {
        switch c {
        case 0x30...0x39: c - 0x30
        case 0x61...0x66: c - 0x61 + 10
        case 0x41...0x46: c - 0x41 + 10
        default: nil
        }
    }

    /// `constantTimeEqual` for two byte arrays, without the generic collection machinery (client secrets are
    /// compared on every introspection call).
    public static func constantTimeEqual(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        guard a.count == b.count else { return false }
        var difference: UInt8 = 0
        for index in a.indices { difference |= a[index] ^ b[index] }
        return difference == 0
    }

    /// Compares two byte strings in time that depends only on their lengths, never on where they differ.
    public static func constantTimeEqual<A: Collection, B: Collection>(_ a: A, _ b: B) -> Bool
    where A.Element == UInt8, B.Element == UInt8 {
        guard a.count == b.count else { return false }
        var difference: UInt8 = 0
        for (x, y) in zip(a, b) { difference |= x ^ y }
        return difference == 0
    }

    public static func sha256(_ bytes: [UInt8]) -> [UInt8] {
        SHA256.hash(data: bytes).withUnsafeBytes { Array($0) }
    }

    /// HMAC-SHA256 of a message under a key.
    public static func hmacSHA256(key: [UInt8], message: [UInt8]) -> [UInt8] {
        // Byte buffers rather than generic DataProtocol: this runs on every signed request and auth token.
        var hmac = HMAC<SHA256>(key: SymmetricKey(data: key))
        message.withUnsafeBytes { hmac.update(data: $0) }
        return hmac.finalize().withUnsafeBytes { Array($0) }
    }
}

extension UUID {
    /// An RFC 9562 UUID of `version` made of the first 16 of `bytes` (a hash, random bytes, a timestamp): the
    /// version nibble and the variant bits are set, every other bit is as given.
    public init(version: UInt8, bytes: [UInt8]) {
        precondition(bytes.count >= 16, "a UUID needs 16 bytes")
        var b = Array(bytes.prefix(16))
        b[6] = (b[6] & 0x0F) | (version << 4)
        b[8] = (b[8] & 0x3F) | 0x80
        self.init(uuid: (b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13], b[14], b[15]))
    }

    /// The lower-case 8-4-4-4-12 form, built by hand (`uuidString` formats through sprintf, which shows on hot paths).
    public var lowercasedString: String {
        withUnsafeBytes(of: uuid) { bytes in
            let digits = Array("0123456789abcdef".utf8)
            var text = [UInt8]()
            text.reserveCapacity(36)
            for (index, byte) in bytes.enumerated() {
                if index == 4 || index == 6 || index == 8 || index == 10 { text.append(UInt8(ascii: "-")) }
                text.append(digits[Int(byte >> 4)])
                text.append(digits[Int(byte & 0x0F)])
            }
            return String(decoding: text, as: UTF8.self)
        }
    }
}
