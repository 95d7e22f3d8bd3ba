import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdCore
import TesseraCore
import TesseraCrypto

/// Resolves the one caller a request runs as. This is the only place that decides which credential counts.
///
/// Identity, first present wins:
/// 1. `Authorization: Bearer <jwt>` (anything with a dot): an RS256 JWT is a CXone access token, any other JWT a
///    server token's long-term JWT. `Authorization: Bearer <other>`: a sign-in auth token. Any other scheme is
///    refused (401).
/// 2. `X-Deki-Token` holding a signature (it contains `_`): a server-token signature. Sent together with an
///    `Authorization` header it is refused as conflicting (400).
/// 3. An impersonation token (`imp_...`) in `X-Authtoken` or the `authtoken` query parameter (legacy).
/// 4. The site API key in the `apikey` query parameter or `X-ApiKey`, acting as `impersonateuserid` (legacy).
/// 5. The `authtoken` cookie.
/// 6. Nothing: the site's anonymous user.
///
/// Legacy tokens (`imp_` tokens wherever an auth token may be, the site API key) are refused with 403 unless the
/// site's administrator turned them on.
///
/// Endpoints that read credentials of their own (sign-in, the token endpoints, discovery) belong to route groups
/// that do not run it.
///
/// `X-Deki-Token` holding a bare key is a browser token: it adds no identity (the request runs as 1, 3 or 4),
/// but its key must exist and the request's Origin must match the token's host patterns (or be this site).
///
/// A credential that is present but does not verify is refused and audited; the resolver never falls through
/// to a weaker credential or to anonymous.
package struct CallerResolver: Sendable {
    let services: Services
    let sessionIDs = SessionIDs()
    static let dekiToken = HTTPField.Name("X-Deki-Token")!
    static let secFetchSite = HTTPField.Name("Sec-Fetch-Site")!
    static let authtokenHeader = HTTPField.Name("X-Authtoken")!
    static let apiKeyHeader = HTTPField.Name("X-ApiKey")!

    /// Which surface asks: it decides where the query is read and how a JWT is taken.
    enum Surface: Sendable {
        /// Expert's API: Tessera's RS256 JWTs are access tokens, other JWTs long-term JWTs (seed 001's errors).
        case deki
        /// CXone's API: every JWT is an access token (401 when it does not verify).
        case cxone
        /// The gateway check: credentials of the original request, whose URL the proxy forwards.
        case gateway

        func query(of request: Request) -> URI? {
            guard self == .gateway else { return request.uri }
            let original = request.headers[GatewayRoutes.originalURI] ?? request.headers[GatewayRoutes.forwardedURI]
            return original.map { URI($0) } ?? request.uri
        }
    }

    func resolve(_ request: Request, site: Site, clientAddress: String, surface: Surface) async throws -> ResolvedCaller {
        var kind = "credential"
        do {
            let authorizations = request.headers[values: .authorization]
            let dekiTokens = request.headers[values: Self.dekiToken]
            guard authorizations.count <= 1 else { throw ServiceError.invalidInput("conflicting credentials: more than one Authorization header") }
            guard dekiTokens.count <= 1 else { throw ServiceError.invalidInput("conflicting credentials: more than one X-Deki-Token header") }
            let dekiToken = dekiTokens.first
            let signature = dekiToken.map { $0.utf8.contains(UInt8(ascii: "_")) } ?? false
            if signature, !authorizations.isEmpty {
                throw ServiceError.invalidInput("conflicting credentials: both Authorization and an X-Deki-Token signature")
            }
            var allowedOrigin: String?
            if let key = dekiToken, !signature {
                kind = "browser token"
                allowedOrigin = try await checkBrowserToken(key, request: request, site: site)
            }
            let caller: Caller
            var scope: String?
            var session: String?
            let uri = surface.query(of: request)
            let query = uri?.query == nil ? nil : uri?.queryParameters
            if let header = authorizations.first {
                guard header.utf8.count <= Limits.maxCredentialBytes else { throw ServiceError.unauthenticated("Authorization header too long") }
                guard let token = Self.bearerToken(header) else {
                    throw ServiceError.unauthenticated("unsupported Authorization header: use Bearer <token>")
                }
                // The CXone surface knows only CXone tokens: any other JWT there is an invalid token (401).
                let cxoneSurface = surface == .cxone
                if token.utf8.starts(with: Self.impersonationPrefix) {
                    kind = "impersonation token"
                    caller = Caller(site: site, user: try await services.legacyTokens.userForImpersonationToken(token, site: site), kind: .impersonation)
                } else if Self.looksLikeJWT(token), cxoneSurface || CXoneTokenService.isCXoneToken(token) {
                    kind = "access token"
                    do {
                        let verified = try await services.cxoneTokens.verifyAccessToken(token, site: site)
                        caller = Caller(site: site, user: verified.user, kind: .accessToken, scopes: verified.limitingScopes,
                                        clientID: verified.clientID)
                        scope = verified.scope
                        session = "access|" + (verified.sessionID ?? verified.jti)
                    } catch ServiceError.unauthenticated(let reason) where !cxoneSurface {
                        // Expert's surface answers every JWT that does not verify as seed 001's table does.
                        throw ServiceError.forbidden(reason == CXoneTokenService.deactivatedUser ? "invalid user requesting" : "invalid json web token")
                    }
                } else if Self.looksLikeJWT(token) {
                    kind = "long-term JWT"
                    let (user, _) = try await services.credentials.verifyLongTermJWT(token, site: site)
                    caller = Caller(site: site, user: user, kind: .longTermJWT)
                    session = token
                } else if AuthToken.parse(token) != nil {
                    kind = "auth token"
                    caller = Caller(site: site, user: try await services.accounts.user(forAuthToken: token, site: site), kind: .authToken)
                    session = token
                } else {
                    // Neither a JWT nor an auth token: seed 001's malformed bearer on Expert's surface.
                    kind = "bearer token"
                    throw cxoneSurface ? ServiceError.unauthenticated("invalid access token") : ServiceError.forbidden("Unable to parse JWT token")
                }
            } else if let value = dekiToken, signature {
                kind = "server token signature"
                switch try await services.credentials.resolveSignature(value, site: site) {
                case .user(let user, let token):
                    caller = Caller(site: site, user: user, kind: .serverToken)
                    session = "signature|" + token.key + "|" + String(user.id)
                case .notYetCreated:
                    // A valid signature for a name that has no account yet: Expert answers as the anonymous user, and
                    // `users/authenticate` creates it.
                    caller = Caller(site: site, user: try await services.accounts.anonymous(site: site), kind: .anonymous)
                }
            } else if let token = request.headers[Self.authtokenHeader] ?? query?["authtoken"].map(String.init),
                      token.utf8.starts(with: Self.impersonationPrefix) {
                kind = "impersonation token"
                caller = Caller(site: site, user: try await services.legacyTokens.userForImpersonationToken(token, site: site), kind: .impersonation)
            } else if let key = request.headers[Self.apiKeyHeader] ?? query?["apikey"].map(String.init) {
                kind = "site API key"
                let user = try await services.legacyTokens.userForAPIKey(key, impersonate: query?["impersonateuserid"].map(String.init), site: site)
                caller = Caller(site: site, user: user, kind: .legacyAPIKey)
                session = "legacy|" + String(user.id)
            } else if let cookie = request.cookies["authtoken"] {
                kind = "auth token cookie"
                if cookie.value.utf8.starts(with: Self.impersonationPrefix) {
                    caller = Caller(site: site, user: try await services.legacyTokens.userForImpersonationToken(cookie.value, site: site),
                                    kind: .impersonation)
                } else {
                    caller = Caller(site: site, user: try await services.accounts.user(forAuthToken: cookie.value, site: site), kind: .authToken)
                    session = cookie.value
                }
            } else {
                caller = Caller(site: site, user: try await services.accounts.anonymous(site: site), kind: .anonymous)
            }
            return ResolvedCaller(caller: caller, allowedOrigin: allowedOrigin, scope: scope,
                                  sessionID: caller.isAnonymous ? nil : session.map { sessionIDs.id(for: $0, site: site) })
        } catch let error as ServiceError {
            if case .unavailable = error { throw error }
            // The message may quote the request (an origin, a user name); the aggregate is per credential kind and
            // kind of refusal.
            services.audit.record(AuditEvent(siteID: site.id, action: AuditEvent.refusal, outcome: "refused", actorUserID: nil, tokenID: nil,
                                             clientAddress: clientAddress, detail: "\(kind): \(error.message)", reason: "\(kind): \(error.kind)"))
            throw error
        }
    }

    /// A browser key must exist, and the request must come from an allowed origin or from this site itself.
    /// Returns the Origin to answer with CORS headers, nil for a same-origin request.
    private func checkBrowserToken(_ key: String, request: Request, site: Site) async throws -> String? {
        let token = try await services.credentials.browserToken(key: key, site: site)
        // No Origin: a same-origin GET, or a script on a server (as community tools call). The key adds no identity,
        // so the request runs as its cookie's user or anonymous, with no CORS headers.
        guard let origin = request.headers[.origin] else { return nil }
        let refused = ServiceError.forbidden("origin \(origin.prefix(200)) is not allowed for this browser token")
        guard let parsed = Origin.parse(origin) else { throw refused }
        if SameOrigin.holds(parsed, request: request, site: site, settings: services.settings) { return nil }
        guard token.allows(parsed) else { throw refused }
        return origin
    }

    /// The token of `Bearer <token>`: scheme case-insensitive, exactly one space, then visible ASCII only.
    package static func bearerToken(_ header: String) -> String? {
        let bytes = header.utf8
        guard bytes.count > 7, bytes.prefix(7).map({ $0 | 0x20 }).elementsEqual("bearer ".utf8) else { return nil }
        let token = bytes.dropFirst(7)
        guard token.allSatisfy({ $0 > 0x20 && $0 < 0x7F }) else { return nil }
        return String(decoding: token, as: UTF8.self)
    }

    static let impersonationPrefix = Array("imp_".utf8)

    /// Auth tokens never contain a dot; anything with one is read as a JWT, so a truncated or padded JWT gets the
    /// JWT's own "Unable to parse JWT token" rather than an auth-token error.
    package static func looksLikeJWT(_ token: String) -> Bool {
        token.utf8.contains(UInt8(ascii: "."))
    }
}
