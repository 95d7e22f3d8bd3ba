/// Prefix searches as index ranges: under a bytewise (code-point) order, the strings that start with `p` are
/// exactly those from `p` up to, not including, `p` with its last character replaced by the next one.
enum PrefixRange {
    /// The least string greater than every string that starts with `prefix`; nil when there is none (an empty
    /// prefix, or one made only of U+10FFFF).
    static func upperBound(of prefix: String) -> String? {
        var scalars = Array(prefix.unicodeScalars)
        while let last = scalars.popLast() {
            var next = last.value + 1
            if next == 0xD800 { next = 0xE000 }  // past the surrogates, which are not characters
            if let scalar = Unicode.Scalar(next) {
                scalars.append(scalar)
                var text = String.UnicodeScalarView()
                text.append(contentsOf: scalars)
                return String(text)
            }
        }
        return nil
    }
}
