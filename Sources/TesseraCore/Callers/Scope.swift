/// The scopes a token issued to an application can carry, and what each reaches on Tessera itself (the README's
/// scope table). A token a person holds first-hand carries no such limit: it acts with the user's role.
public enum Scope {
    /// Identity only: userinfo, `users/current`, the gateway check.
    public static let openid = "openid"
    /// Expert OAuth API tokens (seed 002): the user's own account, no administration.
    public static let profile = "profile"
    /// Expert OAuth API tokens that use the user's seat; otherwise as `profile`.
    public static let seated = "seated"
    /// Administration as the user's role allows: developer tokens, access keys, users, applications, the audit trail.
    /// Only an application that registered it gets it, and only an administrator can consent to it.
    public static let admin = "tessera.admin"

    /// A space-separated scope string as a set (empty entries dropped), split by byte.
    public static func set(_ text: String) -> Set<String> { Set(tokens(text)) }

    /// A `scope` parameter's scope tokens (RFC 6749 §3.3), or nil when one holds a byte outside NQCHAR (printable
    /// ASCII but `"` and `\`). Only ASCII, so that no Unicode spelling of a scope gets through as the scope it
    /// resembles: Swift's String takes `\u{212A}` (Kelvin) for `K`, and sets and `contains` compare that way.
    public static func requested(_ text: String) -> [String]? {
        guard text.utf8.allSatisfy({ $0 == 0x20 || $0 == 0x21 || (0x23...0x5B).contains($0) || (0x5D...0x7E).contains($0) }) else { return nil }
        return tokens(text)
    }

    private static func tokens(_ text: String) -> [String] {
        text.utf8.split(separator: 0x20).map { String(decoding: $0, as: UTF8.self) }
    }

    /// An API group an application may register: 1–64 of letters, digits and `.:_-`.
    public static func isWellFormed(_ scope: String) -> Bool {
        (1...64).contains(scope.utf8.count) && scope.utf8.allSatisfy {
            ($0 >= 0x61 && $0 <= 0x7A) || ($0 >= 0x41 && $0 <= 0x5A) || ($0 >= 0x30 && $0 <= 0x39) || $0 == 0x2E || $0 == 0x3A || $0 == 0x5F || $0 == 0x2D
        }
    }
}
