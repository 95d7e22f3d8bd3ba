/// The first check of every redirect parameter (`redirect=`, `redirect_uri`, `post_logout_redirect_uri`), before
/// any other: no control characters, no white space, no backslash. Browsers drop a TAB or a newline from a URL and
/// read `\` as `/`, so `/\t/evil.example` or `/\evil.example` would leave the site however the rest is checked.
public enum RedirectTarget {
    public static func isClean(_ target: String) -> Bool {
        !target.isEmpty && target.utf8.count <= 2048 && target.unicodeScalars.allSatisfy { scalar in
            !(scalar.value < 0x21 || scalar.value == 0x7F || scalar == "\\" || scalar.properties.isWhitespace
              || (0x80...0x9F).contains(scalar.value) || scalar.properties.generalCategory == .format)
        }
    }
}
