import Foundation
import HTTPTypes
import Hummingbird
import TesseraCore

/// Seed 003's "Generate Key" (confirm the password, get a basic token to exchange at `/public/user/refresh`) and the
/// access keys: one's own with "My Access Key", everyone's with "Access Key". Secrets are shown once, on the page
/// that created them.
struct KeyPages {
    let services: Services

    func register(on surface: Surface) {
        surface.on("/dashboard/key", .get, .post) { request, context in try await generateKey(try await load(request, context)) }
        surface.on("/dashboard/access-keys", .get) { request, context in try await list(try await load(request, context)) }
        surface.on("/dashboard/access-keys", .post) { request, context in try await create(try await load(request, context)) }
        surface.on("/dashboard/access-keys/:key/active", .post) { request, context in
            try await setActive(try await load(request, context), id: try context.parameters.require("key"))
        }
        surface.on("/dashboard/access-keys/:key/delete", .get, .post) { request, context in
            try await delete(try await load(request, context), id: try context.parameters.require("key"), confirmed: request.method == .post)
        }
    }

    private func load(_ request: Request, _ context: TesseraContext) async throws -> DashboardRequest {
        try await DashboardRequest.load(request, context, services: services)
    }

    // MARK: Generate Key

    private func generateKey(_ page: DashboardRequest) async throws -> Response {
        try page.caller.require(.myAccessKey)
        var model: [String: Any] = ["refreshURL": services.settings.baseURL(of: page.site) + "/public/user/refresh"]
        var status = HTTPResponse.Status.ok
        if !page.form.isEmpty {
            do {
                // The password again: a key is a credential of its own, so whoever holds the session must also know it.
                _ = try await services.accounts.signIn(site: page.site, username: page.user.username, password: page.form["password"] ?? "",
                                                       clientAddress: page.clientAddress)
                model["token"] = try await services.cxoneTokens.basicToken(user: page.user, site: page.site)
                services.audit.record(AuditEvent(siteID: page.site.id, action: "basic-token.generate", outcome: "success", actorUserID: page.user.id,
                                                 tokenID: nil, clientAddress: page.clientAddress, detail: "Generate Key"))
            } catch let error as ServiceError {
                model["message"] = AuthorizeRoutes.signInMessage(error)
                status = AuthorizeRoutes.signInStatus(error)
            }
        }
        return page.render(.key, title: "Generate Key", template: "generate-key", model: model, wide: false, script: true, status: status)
    }

    // MARK: Access keys

    static let outcomes = [
        "deleted": "The access key was deleted. It can no longer be exchanged for tokens.",
        "activated": "The access key is active again.",
        "deactivated": "The access key was deactivated. It is refused until it is activated again.",
    ]

    private func list(_ page: DashboardRequest, message: String? = nil, status: HTTPResponse.Status = .ok) async throws -> Response {
        let everyone = page.query["all"] == "1" && page.user.can(.accessKey)
        let offset = page.number("offset", 0)
        let (keys, total) = try await services.accessKeys.list(caller: page.caller, user: everyone ? nil : page.user, offset: offset, limit: Paging.pageSize)
        var rows: [[String: Any]] = []
        for key in keys {
            let owner = try await services.directory.user(site: page.site.id, id: key.userID)?.username ?? "user \(key.userID)"
            rows.append([
                "id": key.id, "owner": owner, "active": key.isActive, "status": key.isActive ? "Active" : "Inactive",
                "created": DashboardRequest.date(key.createdAt), "lastUsed": DashboardRequest.date(key.lastUsedAt),
            ])
        }
        let base = everyone ? "/dashboard/access-keys?all=1" : "/dashboard/access-keys"
        let model: [String: Any] = [
            "keys": rows, "everyone": everyone, "mayAll": page.user.can(.accessKey), "paging": Paging(offset: offset, shown: rows.count, total: total, base: base).model,
            "done": page.outcome(Self.outcomes), "message": message.orNull,
        ]
        return page.render(.accessKeys, title: "Access keys", template: "access-keys", model: model, status: status)
    }

    private func create(_ page: DashboardRequest) async throws -> Response {
        var owner = page.user
        if let name = page.field("username"), name != page.user.username {
            // Whether the user exists is for holders of Access Key only.
            try page.caller.require(.accessKey)
            guard let user = try await services.directory.user(site: page.site.id, username: name), !user.isAnonymous else {
                return try await list(page, message: "No user is named “\(name.prefix(100))”.", status: .badRequest)
            }
            owner = user
        }
        let created = try await services.accessKeys.create(for: owner, caller: page.caller, clientAddress: page.clientAddress)
        let model: [String: Any] = [
            "id": created.key.id, "secret": created.secret, "owner": owner.username,
            "tokenURL": services.settings.baseURL(of: page.site) + "/authentication/v1/token/access-key",
        ]
        return page.render(.accessKeys, title: "Access key created", template: "access-key-created", model: model, wide: false, script: true)
    }

    private func setActive(_ page: DashboardRequest, id: String) async throws -> Response {
        let active = page.form["active"] == "true"
        _ = try await services.accessKeys.setActive(id, active: active, caller: page.caller, clientAddress: page.clientAddress)
        return DashboardRequest.redirect("/dashboard/access-keys?done=" + (active ? "activated" : "deactivated"))
    }

    private func delete(_ page: DashboardRequest, id: String, confirmed: Bool) async throws -> Response {
        let key = try await services.accessKeys.key(id, caller: page.caller)
        guard confirmed else {
            let owner = try await services.directory.user(site: page.site.id, id: key.userID)?.username ?? ""
            return page.render(.accessKeys, title: "Delete this access key?", template: "access-key-delete", model: ["id": key.id, "owner": owner],
                               wide: false)
        }
        try await services.accessKeys.delete(id, caller: page.caller, clientAddress: page.clientAddress)
        return DashboardRequest.redirect("/dashboard/access-keys?done=deleted")
    }
}
