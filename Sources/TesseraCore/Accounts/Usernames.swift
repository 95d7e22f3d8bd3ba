import Foundation

/// The one form of a username: Unicode NFC, so that `zoë` typed precomposed or decomposed is one name; and the key
/// names are unique and looked up by (NFC, lower-cased) — the same in the store and in every cache.
public enum Usernames {
    public static func normalised(_ name: String) -> String {
        if name.utf8.allSatisfy({ $0 < 0x80 }) { return name }
        return name.precomposedStringWithCanonicalMapping
    }

    public static func key(_ name: String) -> String {
        if name.utf8.allSatisfy({ $0 < 0x80 }) { return name.lowercased() }
        // Lower-casing can decompose a character; normalise again.
        return name.precomposedStringWithCanonicalMapping.lowercased().precomposedStringWithCanonicalMapping
    }
}
