import Hummingbird
import TesseraCore

/// Resolves the one caller a request runs as. This is the only place that decides which credential counts.
///
/// Precedence, first present wins:
/// 1. `Authorization` header — `Bearer <authtoken>`. Any other scheme is refused (401); Basic is read only by
///    `users/authenticate`, which is not resolved here.
/// 2. `authtoken` cookie.
/// 3. Nothing: the site's anonymous user.
///
/// A credential that is present but does not verify is refused; the resolver never falls through to a
/// weaker credential or to anonymous, so a stale or forged token can never silently downgrade a request.
/// Two `Authorization` headers are refused as conflicting.
struct CallerResolver: Sendable {
    let services: Services

    /// Paths that read credentials themselves (sign-in) or need none (health checks).
    static func isExempt(_ path: String) -> Bool {
        path == "/healthz" || path == "/readyz" || path == "/@api/deki/users/authenticate"
    }

    func resolve(_ request: Request, site: Site) async throws -> Caller? {
        if Self.isExempt(request.uri.path) { return nil }
        let authorizations = request.headers[values: .authorization]
        guard authorizations.count <= 1 else { throw ServiceError.invalidInput("conflicting credentials: more than one Authorization header") }
        if let header = authorizations.first {
            guard header.utf8.count <= Limits.maxCredentialBytes else { throw ServiceError.unauthenticated("Authorization header too long") }
            guard let token = Self.bearerToken(header) else {
                throw ServiceError.unauthenticated("unsupported Authorization header: use Bearer <token>")
            }
            let user = try await services.accounts.user(forAuthToken: token, site: site)
            return Caller(site: site, user: user, kind: .authToken)
        }
        if let cookie = request.cookies["authtoken"] {
            let user = try await services.accounts.user(forAuthToken: cookie.value, site: site)
            return Caller(site: site, user: user, kind: .authToken)
        }
        return Caller(site: site, user: try await services.accounts.anonymous(site: site), kind: .anonymous)
    }

    /// The token of `Bearer <token>`: scheme case-insensitive, exactly one space, then visible ASCII only.
    static func bearerToken(_ header: String) -> String? {
        let parts = header.split(separator: " ", omittingEmptySubsequences: false)
        guard parts.count == 2, parts[0].lowercased() == "bearer", !parts[1].isEmpty,
              parts[1].utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7F })
        else { return nil }
        return String(parts[1])
    }
}
