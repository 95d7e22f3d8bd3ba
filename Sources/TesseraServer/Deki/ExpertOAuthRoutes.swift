import Foundation
import HTTPTypes
import Hummingbird
import TesseraCore
import TesseraCrypto

/// Expert's OAuth API token endpoints: `/@app/auth/{authId}/token/access.json` (code, refresh and device-code
/// grants), `/@app/auth/{authId}/token/device.json`, and the signed-in user's authorizations at
/// `/@api/deki/users/current/authorizations`.
struct ExpertOAuthRoutes {
    let services: Services

    func register(on router: Router<TesseraContext>, routes: KnownRoutes) {
        router.post("/@app/auth/:authId/token/access.json") { request, context in
            try AuthorizeRoutes.checkAuthID(context)
            return try await access(request, context)
        }
        routes.add("/@app/auth/:authId/token/access.json", .post)
        router.post("/@app/auth/:authId/token/device.json") { request, context in
            try AuthorizeRoutes.checkAuthID(context)
            return try await device(request, context)
        }
        routes.add("/@app/auth/:authId/token/device.json", .post)
        router.get("/@api/deki/users/current/authorizations") { _, context in try await authorizations(context) }
        routes.add("/@api/deki/users/current/authorizations", .get)
        router.delete("/@api/deki/users/current/authorizations/:clientId") { _, context in try await revoke(context) }
        routes.add("/@api/deki/users/current/authorizations/:clientId", .delete)
    }

    private func access(_ request: Request, _ context: TesseraContext) async throws -> Response {
        let site = try context.requireSite()
        let issued = try await services.expertOAuth.token(try await CXoneIO.tokenRequest(request, context, endpointURL: services.settings.baseURL(of: site) + request.uri.path), site: site)
        var members: [(String, JSONValue)] = [
            ("access_token", .string(issued.accessToken)), ("token_type", .string("Bearer")), ("expires_in", CXoneIO.int(issued.expiresIn)),
        ]
        if let refresh = issued.refreshToken { members.append(("refresh_token", .string(refresh))) }
        if let scope = issued.scope { members.append(("scope", .string(scope))) }
        return CXoneIO.json(members, headers: CXoneIO.noStore)
    }

    private func device(_ request: Request, _ context: TesseraContext) async throws -> Response {
        let site = try context.requireSite()
        let started = try await services.expertOAuth.startDevice(try await CXoneIO.tokenRequest(request, context, endpointURL: services.settings.baseURL(of: site) + request.uri.path), site: site)
        let page = services.settings.baseURL(of: site) + "/@app/auth/1/token/device"
        return CXoneIO.json([
            ("device_code", .string(started.deviceCode)), ("user_code", .string(started.userCode)), ("verification_uri", .string(page)),
            ("verification_uri_complete", .string(page + "?user_code=" + started.userCode)), ("expires_in", CXoneIO.int(started.expiresIn)),
            ("interval", CXoneIO.int(started.interval)),
        ], headers: CXoneIO.noStore)
    }

    private func signedIn(_ context: TesseraContext) throws -> Caller {
        let caller = try context.requireCaller()
        guard !caller.isAnonymous else { throw ServiceError.unauthenticated("sign in to see your authorizations") }
        return caller
    }

    private func authorizations(_ context: TesseraContext) async throws -> Response {
        let caller = try signedIn(context)
        let grants = try await services.expertOAuth.authorizations(user: caller.user, site: caller.site)
        let items: [JSONValue] = grants.map { grant in
            .object([("clientId", .string(grant.clientID)), ("name", .string(grant.clientName)), ("scope", .string(grant.scope)),
                     ("created", .string(ISO8601DateFormatter().string(from: grant.createdAt))),
                     ("updated", .string(ISO8601DateFormatter().string(from: grant.updatedAt)))])
        }
        return CXoneIO.json([("count", CXoneIO.int(items.count)), ("authorizations", .array(items))], headers: CXoneIO.noStore)
    }

    private func revoke(_ context: TesseraContext) async throws -> Response {
        let caller = try signedIn(context)
        try await services.expertOAuth.revokeAuthorization(user: caller.user, clientID: try context.parameters.require("clientId"), site: caller.site,
                                                           clientAddress: context.clientAddress)
        return Response(status: .noContent)
    }
}
