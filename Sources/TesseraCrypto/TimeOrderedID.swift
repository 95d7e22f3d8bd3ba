import Foundation

/// UUIDs of version 7 (RFC 9562 §5.7): the first 48 bits are the Unix time in milliseconds, the rest random. Token ids
/// made this way say when, to the millisecond, the token was issued, which `iat` (whole seconds) cannot.
public enum TimeOrderedID {
    public static func make(milliseconds: Int64) -> UUID {
        var bytes = Secrets.randomBytes(16)
        for index in 0..<6 { bytes[index] = UInt8(truncatingIfNeeded: milliseconds >> (8 * (5 - index))) }
        return UUID(version: 7, bytes: bytes)
    }

    /// The milliseconds of a version-7 UUID's text; nil for any other.
    public static func milliseconds(of text: String) -> Int64? {
        guard let uuid = UUID(uuidString: text) else { return nil }
        let b = uuid.uuid
        guard b.6 >> 4 == 7 else { return nil }
        return [b.0, b.1, b.2, b.3, b.4, b.5].reduce(Int64(0)) { ($0 << 8) | Int64($1) }
    }
}
