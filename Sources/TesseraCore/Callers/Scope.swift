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

    /// A space-separated scope string as a set (empty entries dropped).
    public static func set(_ text: String) -> Set<String> { Set(text.split(separator: " ").map(String.init)) }

    /// An API group an application may register: 1–64 of letters, digits and `.:_-`.
    public static func isWellFormed(_ scope: String) -> Bool {
        (1...64).contains(scope.utf8.count) && scope.utf8.allSatisfy {
            ($0 >= 0x61 && $0 <= 0x7A) || ($0 >= 0x41 && $0 <= 0x5A) || ($0 >= 0x30 && $0 <= 0x39) || $0 == 0x2E || $0 == 0x3A || $0 == 0x5F || $0 == 0x2D
        }
    }
}
