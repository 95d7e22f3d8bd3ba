import Foundation
import HTTPTypes
import Hummingbird
import TesseraCore
import TesseraCrypto

/// CXone's token endpoints: `/auth/token` (the grants registered with `Services.tokenEndpoint`),
/// `/authentication/v1/token/access-key`, and seed 003's "Generate Key" path: `/public/user/basic-token` (for a
/// signed-in user) and `/public/user/refresh`.
struct TokenRoutes {
    let services: Services

    func register(on surface: Surface, signedIn: Surface) {
        surface.on("/auth/token", .post) { request, context in try await token(request, context) }
        surface.on("/authentication/v1/token/access-key", .post) { request, context in try await accessKeyToken(request, context) }
        surface.on("/public/user/refresh", .post) { request, context in try await userRefresh(request, context) }
        signedIn.on("/public/user/basic-token", .post) { request, context in try await basicToken(request, context) }
    }

    private func token(_ request: Request, _ context: TesseraContext) async throws -> Response {
        let site = try context.requireSite()
        let tokenRequest = try await CXoneIO.tokenRequest(request, context, endpointURL: services.settings.oidcIssuer(of: site) + "/auth/token")
        return CXoneIO.tokenResponse(try await services.tokenEndpoint.token(tokenRequest, site: site))
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
        try caller.require(anyOf: [.myAccessKey, .accessKey])
        // A basic token starts a first-hand session: a person's own act (seed 003), never an application's.
        try caller.requireFirstHand("generating a key")
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
            tokens = try await services.cxoneTokens.issue(user: user, site: site, clientID: nil, firstHand: true)
        } else {
            tokens = try await services.cxoneTokens.refresh(raw, site: site, clientID: nil)
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
}
