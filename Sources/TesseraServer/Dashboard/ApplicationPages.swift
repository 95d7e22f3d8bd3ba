import Foundation
import HTTPTypes
import Hummingbird
import TesseraCore

/// Applications: everyone's own authorized applications (withdraw consent); for administrators, seed 004's
/// registration form, the tracking number, approval with each environment's credentials shown once, disable and
/// enable, and scheduled deletion. The rules are `RegistrationService`'s and `ConsentService`'s.
struct ApplicationPages {
    let services: Services

    func register(on surface: Surface) {
        surface.on("/dashboard/applications", .get) { request, context in try await list(try await load(request, context)) }
        surface.on("/dashboard/applications/authorized/revoke", .post) { request, context in try await revoke(try await load(request, context)) }
        surface.on("/dashboard/applications/new", .get) { request, context in try await form(try await load(request, context)) }
        surface.on("/dashboard/applications/new", .post) { request, context in try await submit(try await load(request, context)) }
        surface.on("/dashboard/applications/:tracking", .get) { request, context in
            try await show(try await load(request, context), tracking: try context.parameters.require("tracking"))
        }
        surface.on("/dashboard/applications/:tracking/:action", .get, .post) { request, context in
            try await act(try await load(request, context), tracking: try context.parameters.require("tracking"),
                          action: try context.parameters.require("action"), confirmed: request.method == .post)
        }
    }

    private func load(_ request: Request, _ context: TesseraContext) async throws -> DashboardRequest {
        try await DashboardRequest.load(request, context, services: services)
    }

    static let outcomes = [
        "revoked": "Access was withdrawn: the application's tokens stopped working and it must ask you again.",
        "enabled": "The application is enabled.", "disabled": "The application is disabled: it can no longer get tokens.",
        "scheduled": "The application is scheduled for deletion.",
    ]
    /// The tenant areas the form offers; `na2` is the government (FedRAMP) environment.
    static let areas = ["na1", "na2", "au1", "ca1", "eu1", "jp1", "uk1"]
    static let governmentArea = "na2"
    static let scopes = [(Scope.openid, "Sign users in (openid)"), (Scope.profile, "Read and write the user's account (profile)"),
                         (Scope.seated, "Use the user's seat (seated)"), (Scope.admin, "Administer the site (tessera.admin)")]

    // MARK: List, and one's own authorizations

    private func list(_ page: DashboardRequest) async throws -> Response {
        let grants = try await services.consents.authorizations(user: page.user, site: page.site)
        var model: [String: Any] = [
            "authorized": grants.map { ["clientID": $0.clientID, "name": $0.clientName, "scope": $0.scope, "since": DashboardRequest.date($0.createdAt)] },
            "hasAuthorized": !grants.isEmpty, "admin": page.user.can(.admin), "done": page.outcome(Self.outcomes),
        ]
        if page.user.can(.admin) {
            model["registrations"] = try await services.registrations.list(site: page.site).map { entry -> [String: Any] in
                let r = entry.registration
                return ["tracking": r.trackingNumber, "name": r.name, "type": r.type.rawValue, "status": Self.status(r),
                        "created": DashboardRequest.date(r.createdAt)]
            }
        }
        return page.render(.applications, title: "Applications", template: "applications", model: model)
    }

    static func status(_ r: AppRegistration) -> String {
        if let at = r.scheduledDeletion { return "deletion scheduled for \(DashboardRequest.date(at))" }
        return r.status.rawValue + (r.isEnabled ? "" : ", disabled")
    }

    private func revoke(_ page: DashboardRequest) async throws -> Response {
        guard let client = page.field("client_id") else { throw ServiceError.invalidInput("which application?") }
        try await services.consents.withdraw(user: page.user, clientID: client, site: page.site, clientAddress: page.clientAddress)
        return DashboardRequest.redirect("/dashboard/applications?done=revoked")
    }

    // MARK: Registration

    private func form(_ page: DashboardRequest, values: [String: String] = [:], message: String? = nil, status: HTTPResponse.Status = .ok) throws
        -> Response {
        try page.caller.require(.admin)
        let chosenAreas = Set(values.isEmpty ? [page.site.tenant.area] : Self.list(values["environments"] ?? ""))
        let chosenScopes = Set(values.isEmpty ? [Scope.openid] : Self.list(values["scopes"] ?? ""))
        func option(_ value: String, _ label: String, _ selected: Bool) -> [String: Any] { ["value": value, "label": label, "selected": selected] }
        let type = values["type"] ?? "confidential"
        let method = values["auth_method"] ?? ClientAuthMethod.clientSecretBasic.rawValue
        let model: [String: Any] = [
            "message": message.orNull, "name": values["name"] ?? "", "description": values["description"] ?? "",
            "businessUnit": values["business_unit"] ?? String(page.site.tenant.businessUnit), "contacts": values["contacts"] ?? page.user.email,
            "single": values["tenancy"] != "multiple", "multiple": values["tenancy"] == "multiple",
            "governmentYes": values["government"] == "yes", "governmentNo": values["government"] == "no",
            "areas": (Self.areas + [page.site.tenant.area]).reduce(into: [String]()) { if !$0.contains($1) { $0.append($1) } }.map {
                option($0, $0 == Self.governmentArea ? "\($0) (government, FedRAMP)" : $0, chosenAreas.contains($0))
            },
            "types": [("backend", "Back-End"), ("confidential", "User: Confidential"), ("public", "User: Public")].map { option($0.0, $0.1, $0.0 == type) },
            "methods": ClientAuthMethod.allCases.map { option($0.rawValue, $0.rawValue, $0.rawValue == method) },
            "jwks": values["jwks"] ?? "", "jwksURL": values["jwks_url"] ?? "", "origins": values["origins"] ?? "",
            "redirects": values["redirects"] ?? "", "logouts": values["logouts"] ?? "",
            "scopes": Self.scopes.map { option($0.0, $0.1, chosenScopes.contains($0.0)) },
        ]
        return page.render(.applications, title: "Register an application", template: "application-form", model: model, wide: false, status: status)
    }

    /// Names from a text field or a repeated checkbox, split at commas, spaces and new lines.
    static func list(_ text: String) -> [String] {
        text.split(whereSeparator: { $0 == "," || $0 == "\n" || $0 == "\r" || $0 == " " }).map(String.init)
    }

    private func submit(_ page: DashboardRequest) async throws -> Response {
        try page.caller.require(.admin)
        // Checkboxes repeat their name; the form keeps them as one comma-separated value.
        var values = page.form
        values["environments"] = page.repeated("environments").joined(separator: ",")
        values["scopes"] = page.repeated("scopes").joined(separator: ",")
        let multiTenant = values["tenancy"] == "multiple"
        var environments = Self.list(values["environments"] ?? "")
        if multiTenant {
            // Seed 004: a multi-tenant application says whether it serves the government environment.
            switch values["government"] {
            case "yes" where !environments.contains(Self.governmentArea):
                return try form(page, values: values, message: "A government application runs in \(Self.governmentArea): tick it.", status: .badRequest)
            case "no" where environments.contains(Self.governmentArea):
                return try form(page, values: values, message: "\(Self.governmentArea) is the government environment: untick it, or answer Yes.",
                                status: .badRequest)
            case "yes", "no": break
            default: return try form(page, values: values, message: "Say whether the application is for a government environment.", status: .badRequest)
            }
        } else {
            environments = [page.site.tenant.area]
        }
        var registration = RegistrationForm()
        registration.name = page.field("name")
        registration.description = values["description"] ?? ""
        if let unit = page.field("business_unit") {
            guard let number = Int(unit) else { return try form(page, values: values, message: "The business unit is a number.", status: .badRequest) }
            registration.businessUnit = number
        }
        registration.contacts = Self.list(values["contacts"] ?? "")
        registration.multiTenant = multiTenant
        registration.environments = environments
        registration.type = values["type"].flatMap(ApplicationType.init(rawValue:))
        registration.authMethod = registration.type == .public ? ClientAuthMethod.none : values["auth_method"].flatMap(ClientAuthMethod.init(rawValue:))
        if registration.authMethod == .privateKeyJWT {
            registration.jwks = page.field("jwks")
            registration.jwksURL = page.field("jwks_url")
        }
        registration.origins = Self.list(values["origins"] ?? "")
        registration.scopes = Self.list(values["scopes"] ?? "")
        registration.redirectURIs = Self.list(values["redirects"] ?? "")
        registration.logoutURIs = Self.list(values["logouts"] ?? "")
        do {
            let created = try await services.registrations.submit(registration, site: page.site, actor: page.user.id, clientAddress: page.clientAddress)
            return DashboardRequest.redirect("/dashboard/applications/\(created.trackingNumber)?done=submitted")
        } catch let error as ServiceError where error.isInputError {
            return try form(page, values: values, message: error.message, status: DashboardRequest.status(of: error))
        }
    }

    // MARK: One registration

    private func show(_ page: DashboardRequest, tracking: String, secrets: [String: String] = [:]) async throws -> Response {
        try page.caller.require(.admin)
        let entry = try await services.registrations.get(site: page.site, trackingNumber: tracking)
        let r = entry.registration
        let done = page.query["done"] == "submitted"
            ? "Submitted. Your tracking number is \(r.trackingNumber): an administrator approves the registration to issue credentials."
            : page.query["done"].flatMap { Self.outcomes[$0] }
        let model: [String: Any] = [
            "tracking": r.trackingNumber, "name": r.name, "description": r.description, "type": r.type.rawValue, "authMethod": r.authMethod.rawValue,
            "tenancy": r.multiTenant ? "Multiple tenants" : "Single tenant", "environments": r.environments.joined(separator: ", "),
            "contacts": r.contacts.joined(separator: ", "), "redirects": r.redirectURIs, "logouts": r.logoutURIs, "origins": r.origins,
            "scopes": r.scopes.joined(separator: " "), "status": Self.status(r), "pending": r.status == .pending, "enabled": r.isEnabled,
            "scheduled": r.scheduledDeletion != nil,
            "credentials": entry.clients.map { client -> [String: Any] in
                ["environment": client.environment, "clientID": client.clientID, "secret": secrets[client.clientID].orNull]
            },
            "hasCredentials": !entry.clients.isEmpty, "secretsShown": !secrets.isEmpty, "done": done.orNull,
        ]
        return page.render(.applications, title: r.name, template: "application", model: model, wide: false, script: !secrets.isEmpty)
    }

    private func act(_ page: DashboardRequest, tracking: String, action: String, confirmed: Bool) async throws -> Response {
        try page.caller.require(.admin)
        switch (action, confirmed) {
        case ("approve", true):
            let (_, secrets) = try await services.registrations.approve(site: page.site, trackingNumber: tracking, actor: page.user.id,
                                                                        clientAddress: page.clientAddress)
            return try await show(page, tracking: tracking, secrets: secrets)
        case ("enable", true), ("disable", true):
            _ = try await services.registrations.setEnabled(site: page.site, trackingNumber: tracking, enabled: action == "enable", actor: page.user.id,
                                                            clientAddress: page.clientAddress)
            return DashboardRequest.redirect("/dashboard/applications/\(tracking)?done=\(action)d")
        case ("delete", false):
            let entry = try await services.registrations.get(site: page.site, trackingNumber: tracking)
            return page.render(.applications, title: "Delete this application?", template: "application-delete",
                               model: ["tracking": tracking, "name": entry.registration.name], wide: false)
        case ("delete", true):
            _ = try await services.registrations.scheduleDeletion(site: page.site, trackingNumber: tracking, actor: page.user.id,
                                                                  clientAddress: page.clientAddress)
            return DashboardRequest.redirect("/dashboard/applications/\(tracking)?done=scheduled")
        default:
            throw ServiceError.notFound("no such page")
        }
    }
}
