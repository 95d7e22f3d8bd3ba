import Foundation
import Hummingbird
import TesseraCore

/// `/@api/deki/site/developer-tokens`: create, list, read, change and delete developer tokens (Admin).
struct DeveloperTokensRoutes {
    let services: Services

    func register(on surface: Surface) {
        let base = "/@api/deki/site/developer-tokens"
        surface.on(base, .post) { request, context in try await create(request, context) }
        surface.on(base, .get) { request, context in try await list(request, context) }
        surface.on(base + "/:token", .get) { request, context in try await read(request, context) }
        surface.on(base + "/:token", .put) { request, context in try await update(request, context) }
        surface.on(base + "/:token", .delete) { request, context in try await delete(request, context) }
    }

    private func create(_ request: Request, _ context: TesseraContext) async throws -> Response {
        let format = try DekiFormat.of(request)
        let caller = try context.requireCaller()
        try caller.require(.tokenAdministration)
        let document = try await DekiInput.document(request, root: "developer-token")
        guard let typeText = document.attribute("type") ?? document.childText("type") else {
            throw ServiceError.invalidInput("type is required: server, browser or oauth")
        }
        let restricted = try Self.userID(document.childText("restricted-by-user-id"))
        let draft = NewDeveloperToken(
            type: try Self.type(typeText), name: document.childText("name") ?? "", key: document.childText("key").flatMap { $0.isEmpty ? nil : $0 },
            hosts: document.childText("host"), restrictedUserID: restricted ?? nil, generateJWT: try Self.flag(document.childText("generate-jwt"))
        )
        let issued = try await services.developerTokens.create(draft, caller: caller, clientAddress: context.clientAddress)
        return Self.secret(DekiOutput.response(node(issued, site: caller.site), format: format))
    }

    private func list(_ request: Request, _ context: TesseraContext) async throws -> Response {
        let format = try DekiFormat.of(request)
        let caller = try context.requireCaller()
        let tokens = try await services.developerTokens.list(caller: caller)
        let base = services.settings.baseURL(of: caller.site)
        let node = DekiNode("developer-tokens", attributes: [("count", String(tokens.count)), ("href", base + "/@api/deki/site/developer-tokens")],
                            children: tokens.map { self.node(IssuedDeveloperToken(token: $0), site: caller.site) })
        return DekiOutput.response(node, format: format)
    }

    private func read(_ request: Request, _ context: TesseraContext) async throws -> Response {
        let format = try DekiFormat.of(request)
        let caller = try context.requireCaller()
        let token = try await services.developerTokens.token(try Self.id(context), caller: caller)
        return DekiOutput.response(node(IssuedDeveloperToken(token: token), site: caller.site), format: format)
    }

    private func update(_ request: Request, _ context: TesseraContext) async throws -> Response {
        let format = try DekiFormat.of(request)
        let caller = try context.requireCaller()
        try caller.require(.tokenAdministration)
        let id = try Self.id(context)
        let document = try await DekiInput.document(request, root: "developer-token")
        let changes = DeveloperTokenChanges(
            name: document.childText("name"), key: document.childText("key"),
            type: try (document.attribute("type") ?? document.childText("type")).map(Self.type),
            hosts: document.childText("host"), restrictedUserID: try Self.userID(document.childText("restricted-by-user-id")),
            generateJWT: try Self.flag(document.childText("generate-jwt"))
        )
        let issued = try await services.developerTokens.update(id, changes: changes, caller: caller, clientAddress: context.clientAddress)
        return Self.secret(DekiOutput.response(node(issued, site: caller.site), format: format))
    }

    private func delete(_ request: Request, _ context: TesseraContext) async throws -> Response {
        _ = try DekiFormat.of(request)
        try await services.developerTokens.delete(try Self.id(context), caller: try context.requireCaller(), clientAddress: context.clientAddress)
        return Response(status: .noContent)
    }

    /// The deki document of a token; the secret and JWT appear only when just issued.
    private func node(_ issued: IssuedDeveloperToken, site: Site) -> DekiNode {
        let token = issued.token
        var children: [DekiNode] = []
        if let jwt = issued.jwt { children.append(DekiNode("authorization", text: "Bearer \(jwt)")) }
        children.append(DekiNode("key", text: token.key))
        children.append(DekiNode("name", text: token.name))
        if let restricted = token.restrictedUserID { children.append(DekiNode("restricted-by-user-id", text: String(restricted))) }
        if !token.hosts.isEmpty { children.append(DekiNode("host", text: token.hosts.joined(separator: ","))) }
        if token.type == .server { children.append(DekiNode("long-term-jwt", text: token.jwtSalt == nil ? "false" : "true")) }
        if let secret = issued.secret { children.append(DekiNode("secret", text: secret)) }
        if let notice = issued.notice { children.append(DekiNode("notice", text: notice)) }
        children.append(DekiNode("created-by-user-id", text: String(token.createdBy)))
        return DekiNode("developer-token", attributes: [
            ("id", String(token.id)), ("type", token.type.rawValue), ("date", Timestamps.rfc1123(token.createdAt)),
            ("href", "\(services.settings.baseURL(of: site))/@api/deki/site/developer-tokens/\(token.id)"),
        ], children: children)
    }

    /// An answer that may carry a secret or a JWT: never stored by a cache.
    static func secret(_ response: Response) -> Response {
        var response = response
        response.headers[.cacheControl] = "no-store"
        return response
    }

    private static func id(_ context: TesseraContext) throws -> Int {
        guard let raw = context.parameters.get("token"), raw.count <= 10, raw.allSatisfy({ $0.isASCII && $0.isNumber }), let id = Int(raw) else {
            throw ServiceError.invalidInput("developer token id must be a number")
        }
        return id
    }

    private static func type(_ text: String) throws -> DeveloperTokenType {
        guard let type = DeveloperTokenType(rawValue: text.lowercased()) else { throw ServiceError.invalidInput("type must be server, browser or oauth") }
        return type
    }

    /// nil: absent; .some(nil): present and empty (removes a restriction); .some(id).
    private static func userID(_ text: String?) throws -> Int?? {
        guard let text else { return nil }
        if text.trimmingCharacters(in: .whitespaces).isEmpty { return .some(nil) }
        guard text.count <= 10, text.allSatisfy({ $0.isASCII && $0.isNumber }), let id = Int(text) else {
            throw ServiceError.invalidInput("restricted-by-user-id must be a user id")
        }
        return .some(id)
    }

    private static func flag(_ text: String?) throws -> Bool {
        switch text?.lowercased() {
        case nil, "", "false", "0": return false
        case "true", "1": return true
        default: throw ServiceError.invalidInput("generate-jwt must be true or false")
        }
    }
}
