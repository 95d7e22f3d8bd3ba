import Foundation
import Hummingbird
import TesseraCore
import TesseraCrypto

/// The signed-in user's authorizations (consents) at `/@api/deki/users/current/authorizations`: list, and
/// withdraw one (which ends every session the client holds for the user).
struct AuthorizationsRoutes {
    let services: Services

    func register(on surface: Surface) {
        surface.on("/@api/deki/users/current/authorizations", .get) { _, context in try await authorizations(context) }
        surface.on("/@api/deki/users/current/authorizations/:clientId", .delete) { _, context in try await withdraw(context) }
    }

    private func authorizations(_ context: TesseraContext) async throws -> Response {
        let caller = try context.requireCaller()
        try caller.require(scope: Scope.admin)
        let grants = try await services.consents.authorizations(user: caller.user, site: caller.site)
        let items: [JSONValue] = grants.map { grant in
            .object([("clientId", .string(grant.clientID)), ("name", .string(grant.clientName)), ("scope", .string(grant.scope)),
                     ("created", .string(ISO8601DateFormatter().string(from: grant.createdAt))),
                     ("updated", .string(ISO8601DateFormatter().string(from: grant.updatedAt)))])
        }
        return CXoneIO.json([("count", CXoneIO.int(items.count)), ("authorizations", .array(items))], headers: CXoneIO.noStore)
    }

    private func withdraw(_ context: TesseraContext) async throws -> Response {
        let caller = try context.requireCaller()
        try caller.require(scope: Scope.admin)
        try await services.consents.withdraw(user: caller.user, clientID: try context.parameters.require("clientId"), site: caller.site,
                                             clientAddress: context.clientAddress)
        return Response(status: .noContent)
    }
}
