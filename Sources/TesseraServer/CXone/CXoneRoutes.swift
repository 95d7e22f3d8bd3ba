import Foundation
import HTTPTypes
import Hummingbird
import TesseraCore
import TesseraCrypto

/// CXone's token endpoints and discovery: `/auth/token`, `/authentication/v1/token/access-key`, the "Generate
/// Key" path (`/public/user/basic-token`, `/public/user/refresh`), `/auth/jwks`, `/auth/userinfo`,
/// `/.well-known/openid-configuration` and `/.well-known/cxone-configuration`.
struct CXoneRoutes {
    let services: Services

    func register(on router: Router<TesseraContext>, routes: KnownRoutes) {
        router.post("/auth/token") { request, context in try await token(request, context) }
        routes.add("/auth/token", .post)
        router.post("/authentication/v1/token/access-key") { request, context in try await accessKeyToken(request, context) }
        routes.add("/authentication/v1/token/access-key", .post)
        router.post("/public/user/basic-token") { request, context in try await basicToken(request, context) }
        routes.add("/public/user/basic-token", .post)
        router.post("/public/user/refresh") { request, context in try await userRefresh(request, context) }
        routes.add("/public/user/refresh", .post)
        router.get("/auth/jwks") { _, context in try await jwks(context) }
        routes.add("/auth/jwks", .get)
        for method in [HTTPRequest.Method.get, .post] {
            router.on("/auth/userinfo", method: method) { _, context in try await userinfo(context) }
            routes.add("/auth/userinfo", method)
        }
        router.get("/.well-known/openid-configuration") { _, context in try openIDConfiguration(context) }
        routes.add("/.well-known/openid-configuration", .get)
        router.get("/.well-known/cxone-configuration") { request, context in try await cxoneConfiguration(request, context) }
        routes.add("/.well-known/cxone-configuration", .get)
    }

    private func token(_ request: Request, _ context: TesseraContext) async throws -> Response {
        let site = try context.requireSite()
        let tokenRequest = try await CXoneIO.tokenRequest(request, context, endpointURL: services.settings.oidcIssuer(of: site) + "/auth/token")
        return CXoneIO.tokenResponse(try await services.oauth.token(tokenRequest, site: site))
    }

    private func accessKeyToken(_ request: Request, _ context: TesseraContext) async throws -> Response {
        let site = try context.requireSite()
        let parameters = try await CXoneIO.parameters(request)
        guard let id = parameters["accessKeyId"], let secret = parameters["accessKeySecret"] else {
            throw OAuthError.invalidRequest("accessKeyId and accessKeySecret are required")
        }
        return CXoneIO.tokenResponse(try await services.accessKeys.exchange(id: id, secret: secret, site: site, clientAddress: context.clientAddress))
    }

    /// The "Generate Key" button: a basic token for a signed-in user who may manage access keys.
    private func basicToken(_ request: Request, _ context: TesseraContext) async throws -> Response {
        let caller = try context.requireCaller()
        guard !caller.isAnonymous else { throw ServiceError.unauthenticated("authentication required") }
        guard caller.user.can(.myAccessKey) || caller.user.can(.accessKey) else {
            throw ServiceError.forbidden("the My Access Key or Access Key permission is required")
        }
        let token = try await services.cxoneTokens.basicToken(user: caller.user, site: caller.site)
        services.audit.record(AuditEvent(siteID: caller.site.id, action: "basic-token.create", outcome: "success", actorUserID: caller.user.id,
                                         tokenID: nil, clientAddress: context.clientAddress, detail: "Generate Key"))
        return CXoneIO.json([("token", .string(token))], headers: CXoneIO.noStore)
    }

    /// Seed 003's refresh: a basic token (or a refresh token of a session without client) becomes a session.
    private func userRefresh(_ request: Request, _ context: TesseraContext) async throws -> Response {
        let site = try context.requireSite()
        let parameters = try await CXoneIO.parameters(request)
        guard let raw = parameters["token"] ?? parameters["refreshToken"] ?? parameters["refresh_token"], !raw.isEmpty else {
            throw OAuthError.invalidRequest("token is required")
        }
        let tokens: IssuedTokens
        if CXoneTokenService.isCXoneToken(raw) {
            let user: User
            do { user = try await services.cxoneTokens.verifyBasicToken(raw, site: site) } catch is ServiceError {
                throw OAuthError.invalidGrant("the basic token is invalid or expired")
            }
            tokens = try await services.cxoneTokens.issue(user: user, site: site, clientID: nil)
        } else {
            tokens = try await services.cxoneTokens.refresh(raw, site: site, client: nil)
        }
        let expires = CXoneIO.int(tokens.expiresIn)
        let refreshExpires = CXoneIO.int(tokens.refreshExpiresIn)
        return CXoneIO.json([
            ("token", .string(tokens.accessToken)), ("tokenExpirationTimeSec", expires),
            ("refreshToken", .string(tokens.refreshToken ?? "")), ("refreshTokenExpirationTimeSec", refreshExpires),
            ("sessionId", .string(tokens.familyID.lowercasedString)),
            // The snake-case names that refreshing clients written against the token endpoint read.
            ("access_token", .string(tokens.accessToken)), ("expires_in", expires), ("refresh_token", .string(tokens.refreshToken ?? "")),
            ("id_token", .string(tokens.idToken)), ("token_type", .string("Bearer")),
        ], headers: CXoneIO.noStore)
    }

    private func jwks(_ context: TesseraContext) async throws -> Response {
        let keys = try await services.keyRing.verifyingKeys(site: try context.requireSite().id)
        return CXoneIO.json([("keys", .array(keys.map { JSONValue.object($0.jwk) }))], headers: [.cacheControl: "public, max-age=60"])
    }

    private func userinfo(_ context: TesseraContext) async throws -> Response {
        let caller = try context.requireCaller()
        guard caller.kind == .accessToken else { throw ServiceError.unauthenticated("an access token is required") }
        let user = caller.user
        let claims = services.cxoneTokens.userClaims(user, site: caller.site)
        func claim(_ name: String) -> JSONValue { claims.first { $0.0 == name }?.1 ?? .string("") }
        return CXoneIO.json([("sub", claim("sub")), ("name", claim("name")), ("given_name", claim("given_name")),
                             ("family_name", claim("family_name")), ("email", .string(user.email))], headers: CXoneIO.noStore)
    }

    private func openIDConfiguration(_ context: TesseraContext) throws -> Response {
        let issuer = services.settings.oidcIssuer(of: try context.requireSite())
        func strings(_ values: [String]) -> JSONValue { .array(values.map(JSONValue.string)) }
        return CXoneIO.json([
            ("issuer", .string(issuer)),
            ("authorization_endpoint", .string(issuer + "/auth/authorize")),
            ("token_endpoint", .string(issuer + "/auth/token")),
            ("userinfo_endpoint", .string(issuer + "/auth/userinfo")),
            ("jwks_uri", .string(issuer + "/auth/jwks")),
            ("token_endpoint_auth_methods_supported", strings(["client_secret_basic", "client_secret_post", "client_secret_jwt"])),
            ("revocation_endpoint", .string(issuer + "/auth/revoke")),
            ("revocation_endpoint_auth_methods_supported", strings(["client_secret_basic", "client_secret_post", "client_secret_jwt"])),
            ("introspection_endpoint", .string(issuer + "/auth/introspect")),
            ("introspection_endpoint_auth_methods_supported", strings(["client_secret_basic", "client_secret_post", "client_secret_jwt"])),
            ("token_endpoint_auth_signing_alg_values_supported", strings(["HS256", "HS384", "HS512"])),
            ("end_session_endpoint", .string(issuer + "/auth/authorize/logout")),
            ("scopes_supported", strings(["openid"])),
            ("response_types_supported", strings(["code"])),
            ("subject_types_supported", strings(["public"])),
            ("id_token_signing_alg_values_supported", strings(["RS256"])),
            ("request_object_signing_alg_values_supported", strings(["none"])),
            ("display_values_supported", strings(["page", "popup"])),
            ("claim_types_supported", strings(["normal"])),
            ("code_challenge_methods_supported", strings(["S256"])),
            ("grant_types_supported", strings(["authorization_code", "password", "refresh_token", OAuthService.tokenExchange])),
        ])
    }

    private func cxoneConfiguration(_ request: Request, _ context: TesseraContext) async throws -> Response {
        guard let text = request.uri.queryParameters["tenantId"], let tenantID = UUID(uuidString: String(text)) else {
            throw ServiceError.invalidInput("tenantId must be a tenant's UUID")
        }
        guard let site = try await services.sites.site(id: tenantID) else {
            throw ServiceError.notFound("no tenant \(tenantID.lowercasedString)")
        }
        let endpoints = services.settings.endpoints(of: site)
        return CXoneIO.json([
            ("private", .bool(false)), ("area", .string(site.tenant.area)), ("cluster", .string(site.tenant.cluster)),
            ("domain", .string(endpoints.domain)), ("acdDomain", .string(endpoints.acdDomain)), ("uhDomain", .string(endpoints.uhDomain)),
            ("ui_endpoint", .string(endpoints.ui)), ("auth_endpoint", .string(endpoints.auth)), ("api_endpoint", .string(endpoints.api)),
            ("tenantId", .string(site.id.lowercasedString)),
        ])
    }
}
