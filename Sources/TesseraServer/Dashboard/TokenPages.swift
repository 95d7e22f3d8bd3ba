import Foundation
import HTTPTypes
import Hummingbird
import TesseraCore
import TesseraCrypto

/// API Token Management (seeds 000/001): add a server, browser or OAuth token — a server token with a long-term JWT
/// restricted to a user found by search —, see the key, secret and JWT once, list, edit, re-issue the JWT, delete.
/// Every rule is `DeveloperTokenService`'s; this file turns forms into its calls and its answers into pages.
struct TokenPages {
    let services: Services

    func register(on surface: Surface) {
        surface.on("/dashboard/tokens", .get) { request, context in try await list(try await load(request, context)) }
        surface.on("/dashboard/tokens", .post) { request, context in try await create(try await load(request, context)) }
        surface.on("/dashboard/tokens/:id", .get) { request, context in try await edit(try await load(request, context), id: try DashboardRequest.id(context)) }
        surface.on("/dashboard/tokens/:id", .post) { request, context in
            try await update(try await load(request, context), id: try DashboardRequest.id(context))
        }
        surface.on("/dashboard/tokens/:id/jwt", .post) { request, context in
            try await reissue(try await load(request, context), id: try DashboardRequest.id(context))
        }
        surface.on("/dashboard/tokens/:id/delete", .get, .post) { request, context in
            try await delete(try await load(request, context), id: try DashboardRequest.id(context), confirmed: request.method == .post)
        }
        surface.on("/dashboard/user-search", .get) { request, context in try await userSearch(try await load(request, context)) }
    }

    private func load(_ request: Request, _ context: TesseraContext) async throws -> DashboardRequest {
        try await DashboardRequest.load(request, context, services: services)
    }

    /// What a finished action says on the page it lands on (fixed texts: nothing from the request is echoed).
    static let outcomes = [
        "deleted": "The token was deleted. Its key, secret and JWT stopped working at once.",
        "updated": "The token was saved.",
        "jwt-revoked": "The token was saved. Its restriction changed, so its long-term JWT was revoked.",
    ]

    // MARK: List and add

    private func list(_ page: DashboardRequest, form: [String: String] = [:], message: String? = nil, suggestions: [User] = [],
                      status: HTTPResponse.Status = .ok) async throws -> Response {
        let offset = page.number("offset", 0)
        let (shown, total) = try await services.developerTokens.page(caller: page.caller, offset: offset, limit: Paging.pageSize)
        var rows: [[String: Any]] = []
        for token in shown {
            var restriction = ""
            if let id = token.restrictedUserID {
                restriction = try await services.directory.user(site: page.site.id, id: id)?.username ?? "user \(id)"
            }
            rows.append([
                "id": token.id, "name": token.name, "type": token.type.displayName, "key": token.key, "restriction": restriction,
                "created": DashboardRequest.date(token.createdAt), "jwt": token.type == .server ? (token.jwtSalt == nil ? "No" : "Yes") : "—",
                "hosts": token.hosts.joined(separator: ", ").orNullIfEmpty,
            ])
        }
        let type = form["type"] ?? "server"
        let model: [String: Any] = [
            "tokens": rows, "paging": Paging(offset: offset, shown: rows.count, total: total, base: "/dashboard/tokens").model,
            "done": page.outcome(Self.outcomes), "message": message.orNull,
            "server": type == "server", "browser": type == "browser", "oauth": type == "oauth",
            "name": form["name"] ?? "", "hosts": form["hosts"] ?? "", "generateJWT": form["generate_jwt"] != nil,
            "restrictedUser": form["restricted_user"] ?? "",
            "suggestions": suggestions.map { ["username": $0.username, "fullName": $0.fullName.orNullIfEmpty] as [String: Any] },
        ]
        return page.render(.tokens, title: "API Token Management", template: "tokens", model: model, script: true, status: status)
    }

    private func create(_ page: DashboardRequest) async throws -> Response {
        guard let type = page.form["type"].flatMap({ DeveloperTokenType(rawValue: $0) }) else {
            return try await list(page, form: page.form, message: "Choose Server, Browser or OAuth.", status: .badRequest)
        }
        let generateJWT = type == .server && page.form["generate_jwt"] != nil
        var restricted: Int?
        if type == .server, let name = page.field("restricted_pick") ?? page.field("restricted_user") {
            switch try await findUser(name, page: page) {
            case .found(let user): restricted = user.id
            case .notFound(let similar):
                return try await list(page, form: page.form, message: "No user is named “\(name.prefix(100))”. Pick one of the users found, or search again.",
                                      suggestions: similar, status: .badRequest)
            }
        }
        let draft = NewDeveloperToken(type: type, name: page.form["name"] ?? "", key: nil,
                                      hosts: type == .server ? nil : page.field("hosts"), restrictedUserID: restricted, generateJWT: generateJWT)
        do {
            let issued = try await services.developerTokens.create(draft, caller: page.caller, clientAddress: page.clientAddress)
            return try await created(page, issued, title: "API Token created")
        } catch let error as ServiceError where error.isInputError {
            return try await list(page, form: page.form, message: error.message, status: .badRequest)
        }
    }

    /// The "API Token created" view: key, secret and JWT, each once, each with a Copy button.
    private func created(_ page: DashboardRequest, _ issued: IssuedDeveloperToken, title: String) async throws -> Response {
        var restriction: String?
        if let id = issued.token.restrictedUserID { restriction = try await services.directory.user(site: page.site.id, id: id)?.username ?? "user \(id)" }
        let model: [String: Any] = [
            "name": issued.token.name, "type": issued.token.type.displayName, "key": issued.token.key, "secret": issued.secret.orNull,
            "jwt": issued.jwt.orNull, "notice": issued.notice.orNull, "restriction": restriction.orNull,
            "hosts": issued.token.hosts.joined(separator: ", ").orNullIfEmpty,
        ]
        return page.render(.tokens, title: title, template: "token-created", model: model, script: true)
    }

    private enum Lookup {
        case found(User)
        case notFound(similar: [User])
    }

    /// "Restricted to user": the exact username, or the users whose names start with what was typed.
    private func findUser(_ name: String, page: DashboardRequest) async throws -> Lookup {
        if let user = try await services.directory.user(site: page.site.id, username: name), !user.isAnonymous { return .found(user) }
        return .notFound(similar: try await search(name, page: page))
    }

    private func search(_ prefix: String, page: DashboardRequest) async throws -> [User] {
        var query = UserQuery()
        query.usernameOrEmailPrefix = String(prefix.prefix(100))
        query.activated = true
        query.limit = 10
        return try await services.accounts.searchUsers(query, caller: page.caller).users.filter { !$0.isAnonymous }
    }

    /// Search-as-you-type for "Restricted to user": the first ten active users whose username or e-mail starts with `q`.
    private func userSearch(_ page: DashboardRequest) async throws -> Response {
        try page.caller.require(.tokenAdministration)
        let prefix = page.query["q"]?.trimmingCharacters(in: .whitespaces) ?? ""
        let users = prefix.isEmpty ? [] : try await search(prefix, page: page)
        let body = JSONValue.array(users.map { .object([("id", .number(Double($0.id))), ("username", .string($0.username)), ("fullname", .string($0.fullName))]) })
        return Response(status: .ok, headers: [.contentType: "application/json", .cacheControl: "no-store", HTTPField.Name("X-Content-Type-Options")!: "nosniff"],
                        body: .init(byteBuffer: ByteBuffer(string: body.serialised)))
    }

    // MARK: Edit, re-issue, delete

    private func edit(_ page: DashboardRequest, id: Int, message: String? = nil, form: [String: String]? = nil,
                      status: HTTPResponse.Status = .ok) async throws -> Response {
        let token = try await services.developerTokens.token(id, caller: page.caller)
        var restriction = ""
        if let user = token.restrictedUserID { restriction = try await services.directory.user(site: page.site.id, id: user)?.username ?? "" }
        let model: [String: Any] = [
            "id": token.id, "name": form?["name"] ?? token.name, "type": token.type.displayName, "key": token.key,
            "server": token.type == .server, "hosts": form?["hosts"] ?? token.hosts.joined(separator: ", "),
            "restrictedUser": form?["restricted_user"] ?? restriction, "hasJWT": token.jwtSalt != nil, "message": message.orNull,
            "done": page.outcome(Self.outcomes),
        ]
        return page.render(.tokens, title: "Edit “\(token.name.prefix(60))”", template: "token-edit", model: model, wide: false, script: true,
                           status: status)
    }

    private func update(_ page: DashboardRequest, id: Int) async throws -> Response {
        let token = try await services.developerTokens.token(id, caller: page.caller)
        var changes = DeveloperTokenChanges(name: page.form["name"], key: nil, type: nil, hosts: nil, restrictedUserID: nil, generateJWT: false)
        if token.type == .server {
            if let name = page.field("restricted_user") {
                guard case .found(let user) = try await findUser(name, page: page) else {
                    return try await edit(page, id: id, message: "No user is named “\(name.prefix(100))”.", form: page.form, status: .badRequest)
                }
                changes.restrictedUserID = .some(user.id)
            } else {
                changes.restrictedUserID = .some(nil)
            }
        } else {
            changes.hosts = page.form["hosts"] ?? ""
        }
        do {
            let issued = try await services.developerTokens.update(id, changes: changes, caller: page.caller, clientAddress: page.clientAddress)
            return DashboardRequest.redirect("/dashboard/tokens/\(id)?done=" + (issued.notice == nil ? "updated" : "jwt-revoked"))
        } catch let error as ServiceError where error.isInputError {
            return try await edit(page, id: id, message: error.message, form: page.form, status: .badRequest)
        }
    }

    private func reissue(_ page: DashboardRequest, id: Int) async throws -> Response {
        let changes = DeveloperTokenChanges(name: nil, key: nil, type: nil, hosts: nil, restrictedUserID: nil, generateJWT: true)
        do {
            let issued = try await services.developerTokens.update(id, changes: changes, caller: page.caller, clientAddress: page.clientAddress)
            return try await created(page, issued, title: "New long-term JWT issued")
        } catch let error as ServiceError where error.isInputError {
            return try await edit(page, id: id, message: error.message, status: .badRequest)
        }
    }

    private func delete(_ page: DashboardRequest, id: Int, confirmed: Bool) async throws -> Response {
        let token = try await services.developerTokens.token(id, caller: page.caller)
        guard confirmed else {
            let model: [String: Any] = ["id": token.id, "name": token.name, "type": token.type.displayName, "key": token.key,
                                        "hasJWT": token.jwtSalt != nil]
            return page.render(.tokens, title: "Delete this token?", template: "token-delete", model: model, wide: false)
        }
        try await services.developerTokens.delete(id, caller: page.caller, clientAddress: page.clientAddress)
        return DashboardRequest.redirect("/dashboard/tokens?done=deleted")
    }
}
