/// The first check of every redirect parameter (`redirect=`, `redirect_uri`, `post_logout_redirect_uri`), before
/// any other: no control characters, no white space, no backslash. Browsers drop a TAB or a newline from a URL and
/// read `\` as `/`, so `/\t/evil.example` or `/\evil.example` would leave the site however the rest is checked.
public enum RedirectTarget {
    /// A redirect URI is the registered one when it is the same bytes (RFC 6749 §3.1.2.3: simple string
    /// comparison). Not Swift's `==`, which holds for canonically equivalent strings: `O\u{212A}` (Kelvin sign) equals
    /// `OK` and `\u{037E}` equals `;`, and a code would go to a URI that was never registered.
    public static func same(_ uri: String, _ registered: String) -> Bool {
        uri.utf8.elementsEqual(registered.utf8)
    }

    public static func isListed(_ uri: String, in registered: [String]) -> Bool {
        registered.contains { same(uri, $0) }
    }

    public static func isClean(_ target: String) -> Bool {
        !target.isEmpty && target.utf8.count <= 2048 && target.unicodeScalars.allSatisfy { scalar in
            !(scalar.value < 0x21 || scalar.value == 0x7F || scalar == "\\" || scalar.properties.isWhitespace
              || (0x80...0x9F).contains(scalar.value) || scalar.properties.generalCategory == .format)
        }
    }
}
