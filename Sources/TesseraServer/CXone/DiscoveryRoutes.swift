import Foundation
import HTTPTypes
import Hummingbird
import TesseraCore
import TesseraCrypto

/// Discovery and keys: `/auth/jwks`, `/.well-known/openid-configuration`, `/.well-known/cxone-configuration`, and
/// `/auth/userinfo` for a bearer access token.
struct DiscoveryRoutes {
    let services: Services

    func register(on surface: Surface, api: Surface) {
        surface.on("/auth/jwks", .get) { _, context in try await jwks(context) }
        surface.on("/.well-known/openid-configuration", .get) { _, context in try openIDConfiguration(context) }
        surface.on("/.well-known/cxone-configuration", .get) { request, context in try await cxoneConfiguration(request, context) }
        api.on("/auth/userinfo", .get, .post) { _, context in try await userinfo(context) }
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
        // One client authenticator serves the token, revocation and introspection endpoints.
        let methods = strings(["client_secret_basic", "client_secret_post", "client_secret_jwt", "private_key_jwt"])
        return CXoneIO.json([
            ("issuer", .string(issuer)),
            ("authorization_endpoint", .string(issuer + "/auth/authorize")),
            ("token_endpoint", .string(issuer + "/auth/token")),
            ("userinfo_endpoint", .string(issuer + "/auth/userinfo")),
            ("jwks_uri", .string(issuer + "/auth/jwks")),
            ("token_endpoint_auth_methods_supported", methods),
            ("revocation_endpoint", .string(issuer + "/auth/revoke")),
            ("revocation_endpoint_auth_methods_supported", methods),
            ("introspection_endpoint", .string(issuer + "/auth/introspect")),
            ("introspection_endpoint_auth_methods_supported", methods),
            ("token_endpoint_auth_signing_alg_values_supported", strings(["RS256", "HS256", "HS384", "HS512"])),
            ("end_session_endpoint", .string(issuer + "/auth/authorize/logout")),
            ("scopes_supported", strings(["openid"])),
            ("response_types_supported", strings(["code"])),
            ("subject_types_supported", strings(["public"])),
            ("id_token_signing_alg_values_supported", strings(["RS256"])),
            ("request_object_signing_alg_values_supported", strings(["none"])),
            ("display_values_supported", strings(["page", "popup"])),
            ("claim_types_supported", strings(["normal"])),
            ("code_challenge_methods_supported", strings(["S256"])),
            ("grant_types_supported", strings(services.tokenEndpoint.grantTypes)),
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
