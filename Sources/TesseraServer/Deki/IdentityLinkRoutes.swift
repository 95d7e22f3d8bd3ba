import Foundation
import Hummingbird
import TesseraCore
import TesseraCrypto

/// `/@api/deki/site/identity-links` (Admin): which external identities (an identity provider's issuer and subject)
/// act as which local users in identity token exchange. JSON: `GET` lists, `POST {issuer, subject, username}` links,
/// `DELETE ?issuer=&subject=` unlinks.
struct IdentityLinkRoutes {
    let services: Services
    static let path = "/@api/deki/site/identity-links"

    func register(on surface: Surface) {
        surface.on(Self.path, .get) { _, context in try await list(context) }
        surface.on(Self.path, .post) { request, context in try await link(request, context) }
        surface.on(Self.path, .delete) { request, context in try await unlink(request, context) }
    }

    private func list(_ context: TesseraContext) async throws -> Response {
        let caller = try context.requireCaller()
        let links = try await services.identityExchange.links(site: caller.site, caller: caller)
        return CXoneIO.json([("count", CXoneIO.int(links.count)), ("links", .array(links.map(Self.describe)))], headers: CXoneIO.noStore)
    }

    private func link(_ request: Request, _ context: TesseraContext) async throws -> Response {
        let caller = try context.requireCaller()
        let body = try await CXoneIO.parameters(request)
        guard let issuer = body["issuer"], let subject = body["subject"], let username = body["username"] else {
            throw ServiceError.invalidInput("issuer, subject and username are required")
        }
        let link = try await services.identityExchange.link(site: caller.site, issuer: issuer, subject: subject, username: username,
                                                            caller: caller, clientAddress: context.clientAddress)
        return CXoneIO.json([("link", Self.describe(link))], status: .created, headers: CXoneIO.noStore)
    }

    private func unlink(_ request: Request, _ context: TesseraContext) async throws -> Response {
        let caller = try context.requireCaller()
        let query = request.uri.queryParameters
        guard let issuer = query["issuer"].map(String.init), let subject = query["subject"].map(String.init) else {
            throw ServiceError.invalidInput("issuer and subject are required")
        }
        try await services.identityExchange.unlink(site: caller.site, issuer: issuer, subject: subject, caller: caller,
                                                   clientAddress: context.clientAddress)
        return Response(status: .noContent)
    }

    static func describe(_ link: IdentityLink) -> JSONValue {
        .object(["issuer": .string(link.issuer), "subject": .string(link.subject), "userId": CXoneIO.int(link.userID),
                 "created": .string(ISO8601DateFormatter().string(from: link.createdAt))])
    }
}
