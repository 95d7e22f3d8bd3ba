import Foundation
import HTTPTypes
import Hummingbird
import TesseraCore
import TesseraCrypto

/// RFC 7662 `/auth/introspect` and RFC 7009 `/auth/revoke`, for any OAuth client of the site (a registered
/// application, or an oauth-type developer token).
struct IntrospectionRoutes {
    let services: Services

    func register(on surface: Surface) {
        surface.on("/auth/introspect", .post) { request, context in try await introspect(request, context) }
        surface.on("/auth/revoke", .post) { request, context in try await revoke(request, context) }
    }

    /// The client and the `token` parameter of either endpoint.
    private func read(_ request: Request, _ context: TesseraContext) async throws -> (Site, OAuthClient, String) {
        let site = try context.requireSite()
        let tokenRequest = try await CXoneIO.tokenRequest(request, context, endpointURL: services.settings.oidcIssuer(of: site) + request.uri.path)
        let client = try await services.introspection.authenticate(tokenRequest, site: site)
        guard let token = tokenRequest.parameters["token"], !token.isEmpty else { throw OAuthError.invalidRequest("token is required") }
        return (site, client, token)
    }

    private func introspect(_ request: Request, _ context: TesseraContext) async throws -> Response {
        let (site, _, token) = try await read(request, context)
        guard let found = try await services.introspection.introspect(token, site: site) else {
            return CXoneIO.json([("active", .bool(false))], headers: CXoneIO.noStore)
        }
        let user = found.user
        var members: [(String, JSONValue)] = [
            ("active", .bool(true)), ("token_kind", .string(found.kind)), ("token_type", .string(found.tokenType)),
            ("sub", .string("user:" + user.guid.lowercasedString)), ("username", .string(user.username)), ("user_id", CXoneIO.int(user.id)),
            ("tenantId", .string(site.id.lowercasedString)), ("iss", .string(services.settings.oidcIssuer(of: site))), ("exp", CXoneIO.int(found.expires)),
        ]
        if let iat = found.issuedAt { members.append(("iat", CXoneIO.int(iat))) }
        if let scope = found.scope { members.append(("scope", .string(scope))) }
        if let clientID = found.clientID { members.append(("client_id", .string(clientID))) }
        if found.kind == "access-token" {
            members.append(("aud", .string((found.clientID ?? CXoneTokenService.accessKeyAudience) + "@cxone")))
        }
        if let jti = found.jti { members.append(("jti", .string(jti))) }
        return CXoneIO.json(members, headers: CXoneIO.noStore)
    }

    private func revoke(_ request: Request, _ context: TesseraContext) async throws -> Response {
        let (site, client, token) = try await read(request, context)
        try await services.introspection.revoke(token, site: site, client: client, clientAddress: context.clientAddress)
        return Response(status: .ok, headers: CXoneIO.noStore)
    }
}
