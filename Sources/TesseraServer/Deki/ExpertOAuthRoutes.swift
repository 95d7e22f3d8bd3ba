import Foundation
import HTTPTypes
import Hummingbird
import TesseraCore
import TesseraCrypto

/// Expert's OAuth API token endpoints: `/@app/auth/{authId}/token/access.json` (code, refresh and device-code
/// grants) and `/@app/auth/{authId}/token/device.json`. Clients authenticate with an OAuth API token's key and
/// secret.
struct ExpertOAuthRoutes {
    let services: Services

    func register(on surface: Surface) {
        surface.on("/@app/auth/:authId/token/access.json", .post) { request, context in
            try AuthorizeRoutes.checkAuthID(context)
            return try await access(request, context)
        }
        surface.on("/@app/auth/:authId/token/device.json", .post) { request, context in
            try AuthorizeRoutes.checkAuthID(context)
            return try await device(request, context)
        }
    }

    private func access(_ request: Request, _ context: TesseraContext) async throws -> Response {
        let site = try context.requireSite()
        let issued = try await services.expertTokenEndpoint.token(try await CXoneIO.tokenRequest(request, context, endpointURL: services.settings.baseURL(of: site) + request.uri.path), site: site)
        var members: [(String, JSONValue)] = [
            ("access_token", .string(issued.accessToken)), ("token_type", .string("Bearer")), ("expires_in", CXoneIO.int(issued.expiresIn)),
        ]
        if let refresh = issued.refreshToken { members.append(("refresh_token", .string(refresh))) }
        if let scope = issued.scope { members.append(("scope", .string(scope))) }
        return CXoneIO.json(members, headers: CXoneIO.noStore)
    }

    private func device(_ request: Request, _ context: TesseraContext) async throws -> Response {
        let site = try context.requireSite()
        let started = try await services.deviceFlow.start(try await CXoneIO.tokenRequest(request, context, endpointURL: services.settings.baseURL(of: site) + request.uri.path), site: site)
        let page = services.settings.baseURL(of: site) + "/@app/auth/1/token/device"
        return CXoneIO.json([
            ("device_code", .string(started.deviceCode)), ("user_code", .string(started.userCode)), ("verification_uri", .string(page)),
            ("verification_uri_complete", .string(page + "?user_code=" + started.userCode)), ("expires_in", CXoneIO.int(started.expiresIn)),
            ("interval", CXoneIO.int(started.interval)),
        ], headers: CXoneIO.noStore)
    }
}
