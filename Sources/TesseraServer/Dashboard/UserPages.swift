import Foundation
import HTTPTypes
import Hummingbird
import TesseraCore

/// Users (Admin): search, create, and change status, seat, role and password. The rules — the last active
/// administrator stays one, a password change ends the user's sessions — are `AccountService`'s.
struct UserPages {
    let services: Services

    func register(on surface: Surface) {
        surface.on("/dashboard/users", .get) { request, context in try await list(try await load(request, context)) }
        surface.on("/dashboard/users", .post) { request, context in try await create(try await load(request, context)) }
        surface.on("/dashboard/users/:id", .get) { request, context in try await edit(try await load(request, context), id: try DashboardRequest.id(context)) }
        surface.on("/dashboard/users/:id", .post) { request, context in
            try await update(try await load(request, context), id: try DashboardRequest.id(context))
        }
    }

    private func load(_ request: Request, _ context: TesseraContext) async throws -> DashboardRequest {
        try await DashboardRequest.load(request, context, services: services)
    }

    static let outcomes = ["created": "The user was created.", "updated": "The user was saved."]
    static let roles = [Role.admin, Role.contributor, Role.viewer].map(\.name)

    private func list(_ page: DashboardRequest, form: [String: String] = [:], message: String? = nil, status: HTTPResponse.Status = .ok) async throws
        -> Response {
        try page.caller.require(.admin)
        let search = page.query["q"]?.trimmingCharacters(in: .whitespaces) ?? ""
        var query = UserQuery()
        if !search.isEmpty { query.usernameOrEmailPrefix = String(search.prefix(100)) }
        query.offset = page.number("offset", 0)
        query.limit = Paging.pageSize
        let found = try await services.accounts.searchUsers(query, caller: page.caller)
        let rows: [[String: Any]] = found.users.filter { !$0.isAnonymous }.map { user in
            [
                "id": user.id, "username": user.username, "fullName": user.fullName, "email": user.email, "role": user.roleName,
                "status": user.status == .active ? "Active" : "Inactive", "seat": user.hasSeat ? "Yes" : "No",
                "lastLogin": DashboardRequest.date(user.lastLoginAt),
            ]
        }
        let base = search.isEmpty ? "/dashboard/users" : "/dashboard/users?q=" + (search.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "")
        let model: [String: Any] = [
            "users": rows, "q": search, "paging": Paging(offset: query.offset, shown: found.users.count, total: found.matching, base: base).model,
            "done": page.outcome(Self.outcomes), "message": message.orNull,
            "username": form["username"] ?? "", "email": form["email"] ?? "", "fullName": form["fullname"] ?? "",
            "roles": Self.roles.map { ["name": $0, "selected": $0 == (form["role"] ?? Role.viewer.name)] as [String: Any] },
        ]
        return page.render(.users, title: "Users", template: "users", model: model, status: status)
    }

    private func create(_ page: DashboardRequest) async throws -> Response {
        let fields = UserChanges(username: page.field("username"), email: page.field("email") ?? "", fullName: page.field("fullname") ?? "",
                                 status: .active, hasSeat: true, roleName: page.field("role"), password: page.form["password"].flatMap { $0.isEmpty ? nil : $0 })
        do {
            let user = try await services.accounts.createUser(fields, caller: page.caller)
            return DashboardRequest.redirect("/dashboard/users/\(user.id)?done=created")
        } catch let error as ServiceError where error.isInputError {
            return try await list(page, form: page.form, message: error.message, status: DashboardRequest.status(of: error))
        }
    }

    private func edit(_ page: DashboardRequest, id: Int, message: String? = nil, status: HTTPResponse.Status = .ok) async throws -> Response {
        let user = try await services.accounts.user(.id(id), caller: page.caller)
        guard !user.isAnonymous else { throw ServiceError.notFound("the anonymous user is not edited here") }
        let model: [String: Any] = [
            "id": user.id, "username": user.username, "email": user.email, "fullName": user.fullName, "active": user.status == .active,
            "seat": user.hasSeat, "roles": Self.roles.map { ["name": $0, "selected": $0 == user.roleName] as [String: Any] },
            "created": DashboardRequest.date(user.createdAt), "lastLogin": DashboardRequest.date(user.lastLoginAt), "isSelf": user.id == page.user.id,
            "done": page.outcome(Self.outcomes), "message": message.orNull,
        ]
        return page.render(.users, title: user.username, template: "user-edit", model: model, wide: false, status: status)
    }

    private func update(_ page: DashboardRequest, id: Int) async throws -> Response {
        let changes = UserChanges(email: page.form["email"]?.trimmingCharacters(in: .whitespaces),
                                  fullName: page.form["fullname"]?.trimmingCharacters(in: .whitespaces),
                                  status: page.form["status"].flatMap(UserStatus.init(rawValue:)), hasSeat: page.form["seat"] != nil,
                                  roleName: page.field("role"), password: page.form["password"].flatMap { $0.isEmpty ? nil : $0 })
        do {
            _ = try await services.accounts.updateUser(.id(id), changes: changes, caller: page.caller)
            return DashboardRequest.redirect("/dashboard/users/\(id)?done=updated")
        } catch let error as ServiceError where error.isInputError {
            return try await edit(page, id: id, message: error.message, status: DashboardRequest.status(of: error))
        }
    }
}
