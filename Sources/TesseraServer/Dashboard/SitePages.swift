import Foundation
import HTTPTypes
import Hummingbird
import TesseraCore

/// Site settings (Admin): branding with a preview, legacy tokens on or off (the API key shown once), and the audit
/// trail with filters and paging.
struct SitePages {
    let services: Services

    func register(on surface: Surface) {
        surface.on("/dashboard/settings", .get) { request, context in try await settings(try await load(request, context)) }
        surface.on("/dashboard/settings/branding", .post) { request, context in try await branding(try await load(request, context)) }
        surface.on("/dashboard/settings/legacy-tokens", .post) { request, context in try await legacy(try await load(request, context)) }
        surface.on("/dashboard/audit", .get) { request, context in try await audit(try await load(request, context)) }
    }

    private func load(_ request: Request, _ context: TesseraContext) async throws -> DashboardRequest {
        try await DashboardRequest.load(request, context, services: services)
    }

    static let outcomes = [
        "branding": "The branding was saved.", "legacy-off": "Legacy tokens are off: the site API key and impersonation tokens are refused.",
        "legacy-on": "Legacy tokens are on, with the site API key already set.",
    ]
    static let defaultColour = "#2f5d8a"

    // MARK: Settings

    /// The page; `proposed` is a branding being previewed (not saved), `apiKey` a key just generated.
    private func settings(_ page: DashboardRequest, proposed: (logo: String, colour: String)? = nil, message: String? = nil, apiKey: String? = nil,
                          status: HTTPResponse.Status = .ok) async throws -> Response {
        try page.caller.require(.admin)
        let site = page.site
        let colour = proposed?.colour ?? site.branding.colour ?? Self.defaultColour
        // The preview's colours come from a colour already checked as #rrggbb.
        let previewColour = (try? SiteBranding.validated(logoURL: nil, colour: colour))?.colour ?? Self.defaultColour
        let ratio = Branding.contrast(of: previewColour)
        let model: [String: Any] = [
            "logo": proposed?.logo ?? site.branding.logoURL ?? "", "colour": proposed?.colour ?? site.branding.colour ?? "",
            "previewing": proposed != nil, "siteName": site.name, "contrast": String(format: "%.1f", ratio), "lowContrast": ratio < 4.5,
            "legacyOn": site.legacyTokens.enabled, "legacyWarning": LegacyTokenService.warning, "apiKey": apiKey.orNull,
            "done": page.outcome(Self.outcomes), "message": message.orNull,
        ]
        let style = ".preview{--preview:\(previewColour);--preview-on:\(Branding.textColour(on: previewColour))}"
        return page.render(.settings, title: "Site settings", template: "settings", model: model, wide: false, style: style, status: status)
    }

    private func branding(_ page: DashboardRequest) async throws -> Response {
        let logo = page.form["logo"]?.trimmingCharacters(in: .whitespaces) ?? ""
        let colour = page.form["colour"]?.trimmingCharacters(in: .whitespaces) ?? ""
        if page.form["action"] == "preview" {
            do {
                _ = try SiteBranding.validated(logoURL: logo.isEmpty ? nil : logo, colour: colour.isEmpty ? nil : colour)
                return try await settings(page, proposed: (logo, colour))
            } catch let error as ServiceError {
                return try await settings(page, proposed: (logo, colour), message: error.message, status: .badRequest)
            }
        }
        do {
            _ = try await services.branding.update(site: page.site, logoURL: logo, colour: colour, caller: page.caller, clientAddress: page.clientAddress)
        } catch let error as ServiceError where error.isInputError {
            return try await settings(page, proposed: (logo, colour), message: error.message, status: .badRequest)
        }
        return DashboardRequest.redirect("/dashboard/settings?done=branding")
    }

    private func legacy(_ page: DashboardRequest) async throws -> Response {
        try page.caller.require(.admin)
        let enabled = page.form["enabled"] == "true"
        let generated = try await services.legacyTokens.configure(site: page.site, enabled: enabled, apiKey: nil, actorUserID: page.user.id,
                                                                  clientAddress: page.clientAddress)
        services.sites.invalidate()
        guard let generated else { return DashboardRequest.redirect("/dashboard/settings?done=" + (enabled ? "legacy-on" : "legacy-off")) }
        var shown = page
        shown.caller.site.legacyTokens.enabled = true
        return try await settings(shown, apiKey: generated)
    }

    // MARK: Audit trail

    private func audit(_ page: DashboardRequest) async throws -> Response {
        try page.caller.require(.admin)
        var filter = AuditFilter()
        var problems: [String] = []
        let actorName = page.query["actor"]?.trimmingCharacters(in: .whitespaces) ?? ""
        if !actorName.isEmpty {
            if let user = try await services.directory.user(site: page.site.id, username: actorName) { filter.actorUserID = user.id } else {
                problems.append("No user is named “\(actorName.prefix(100))”.")
                filter.actorUserID = -1
            }
        }
        if let token = page.query["token"], !token.isEmpty {
            if let id = Int(token), id > 0 { filter.tokenID = id } else { problems.append("A token id is a number.") }
        }
        let outcome = page.query["outcome"] ?? ""
        if ["success", "refused"].contains(outcome) { filter.outcome = outcome }
        let action = page.query["action"]?.trimmingCharacters(in: .whitespaces) ?? ""
        if !action.isEmpty { filter.action = String(action.prefix(100)) }
        for (name, label) in [("from", "From"), ("until", "Until")] {
            guard let text = page.query[name], !text.isEmpty else { continue }
            guard let date = Self.parseTime(text) else { problems.append("\(label) must be a date and time (UTC)."); continue }
            if name == "from" { filter.from = date } else { filter.until = date }
        }
        let offset = page.number("offset", 0)
        await services.audit.flush()
        // One more than a page says whether a next page exists without counting the whole trail.
        let events = try await services.store.auditEvents(site: page.site.id, filter: filter, offset: offset, limit: Paging.pageSize + 1)
        var names: [Int: String] = [:]
        var rows: [[String: Any]] = []
        for event in events.prefix(Paging.pageSize) {
            var actor = ""
            if let id = event.actorUserID {
                if names[id] == nil { names[id] = try await services.directory.user(site: page.site.id, id: id)?.username ?? "user \(id)" }
                actor = names[id]!
            }
            rows.append([
                "at": DashboardRequest.date(event.at), "action": event.action, "outcome": event.outcome, "actor": actor,
                "token": event.tokenID.map(String.init) ?? "", "address": event.clientAddress, "detail": event.detail,
                "count": event.count > 1 ? "×\(event.count)" as Any : NSNull(),
            ])
        }
        let kept = ["actor": actorName, "token": page.query["token"] ?? "", "outcome": filter.outcome ?? "", "action": action,
                    "from": page.query["from"] ?? "", "until": page.query["until"] ?? ""]
        let query = kept.filter { !$0.value.isEmpty }.sorted { $0.key < $1.key }
            .map { "\($0.key)=\($0.value.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "")" }.joined(separator: "&")
        let base = "/dashboard/audit" + (query.isEmpty ? "" : "?" + query)
        let separator = query.isEmpty ? "?" : "&"
        let model: [String: Any] = [
            "events": rows, "filters": kept, "problems": problems.joined(separator: " ").orNullIfEmpty,
            "outcomes": [("", "Any"), ("success", "Success"), ("refused", "Refused")].map {
                ["value": $0.0, "label": $0.1, "selected": $0.0 == (filter.outcome ?? "")] as [String: Any]
            },
            "from": offset + (rows.isEmpty ? 0 : 1), "to": offset + rows.count,
            "previous": offset > 0 ? "\(base)\(separator)offset=\(max(0, offset - Paging.pageSize))" as Any : NSNull(),
            "next": events.count > Paging.pageSize ? "\(base)\(separator)offset=\(offset + Paging.pageSize)" as Any : NSNull(),
        ]
        return page.render(.audit, title: "Audit trail", template: "audit", model: model, status: problems.isEmpty ? .ok : .badRequest)
    }

    /// `yyyy-MM-ddTHH:mm` (what a datetime-local field sends), read as UTC; seconds allowed.
    static func parseTime(_ text: String) -> Date? {
        guard text.utf8.count <= 25 else { return nil }
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        for format in ["yyyy-MM-dd'T'HH:mm", "yyyy-MM-dd'T'HH:mm:ss", "yyyy-MM-dd"] {
            formatter.dateFormat = format
            if let date = formatter.date(from: text) { return date }
        }
        return nil
    }
}
