/// How a surface writes its errors.
enum WireErrorFormat: Sendable {
    /// Expert's deki `<error>` document (XML, or deki JSON when asked for).
    case deki
    /// RFC 6749 §5.2 JSON `{"error", "error_description"}` (CXone's endpoints and the OAuth endpoints of Expert).
    case oauth
    /// An HTML page (the sign-in, consent and device pages).
    case page
}
