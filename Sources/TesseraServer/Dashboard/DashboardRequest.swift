import Foundation
import HTTPTypes
import Hummingbird
import TesseraCore

/// What a dashboard handler starts from: the signed-in caller, the CSRF state, the query, and for a POST its form,
/// already checked against the CSRF token (a forged post is refused before any handler reads it).
struct DashboardRequest {
    var caller: Caller
    let csrf: Page.CSRF
    let query: [String: String]
    let form: [String: String]
    /// The form in order, with repeated names (checkbox groups).
    var formPairs: [(String, String)] = []
    let clientAddress: String

    var site: Site { caller.site }
    var user: User { caller.user }

    static func load(_ request: Request, _ context: TesseraContext, services: Services) async throws -> DashboardRequest {
        let caller = try context.requireCaller()
        let csrf = Page.csrf(request, services: services)
        let query = Page.fields(try Page.query(request))
        let pairs = request.method == .post ? try await Page.parameters(request) : []
        let form = Page.fields(pairs)
        if request.method == .post, !Page.checkCSRF(request, form: form, site: caller.site) {
            throw ServiceError.forbidden("This form has expired or did not come from this site. Reload the page and try again.")
        }
        return DashboardRequest(caller: caller, csrf: csrf, query: query, form: form, formPairs: pairs, clientAddress: context.clientAddress)
    }

    /// The frame's view of the signed-in person: the sections their role may use, `current` marked.
    func visitor(_ current: DashboardSection) -> Page.Visitor {
        let nav = DashboardSection.all.filter { $0.visible(to: user) }.map {
            Page.NavItem(id: $0.id, href: $0.href, label: $0.label, current: $0.id == current.id)
        }
        return Page.Visitor(username: user.username, nav: nav, csrf: csrf.token(site: site))
    }

    /// A dashboard page: the model gains `csrf`, for the page's forms.
    func render(_ section: DashboardSection, title: String, template: String, model: [String: Any] = [:], wide: Bool = true, script: Bool = false,
                style: String? = nil, status: HTTPResponse.Status = .ok) -> Response {
        var model = model
        model["csrf"] = csrf.token(site: site)
        return Page.render(site: site, title: title, template: template, model: model, visitor: visitor(section), wide: wide, script: script,
                           style: style, status: status, cookies: csrf.newCookie.map { [$0] } ?? [])
    }

    /// After a POST that changed something: back to a page with GET (no form is sent twice by Reload).
    static func redirect(_ location: String) -> Response {
        Response(status: .seeOther, headers: [.location: location, .cacheControl: "no-store"])
    }

    /// A whole number from the query (paging, ids), within bounds; `fallback` when absent or out of range.
    func number(_ name: String, _ fallback: Int, in range: ClosedRange<Int> = 0...1_000_000_000) -> Int {
        guard let text = query[name], text.count <= 10, let value = Int(text), range.contains(value) else { return fallback }
        return value
    }

    /// The notice of a finished action (`?done=`), from the page's fixed texts: nothing from the request is echoed.
    func outcome(_ texts: [String: String]) -> Any { query["done"].flatMap { texts[$0] }.orNull }

    /// Every value a form gave a repeated name (a group of checkboxes), in order.
    func repeated(_ name: String) -> [String] { formPairs.filter { $0.0 == name }.map(\.1) }

    /// A form field, trimmed; nil when absent or blank.
    func field(_ name: String) -> String? {
        guard let value = form[name]?.trimmingCharacters(in: .whitespacesAndNewlines), !value.isEmpty else { return nil }
        return value
    }

    /// The status of a page that shows a refused form again: 409 for a clash with what exists, else 400.
    static func status(of error: ServiceError) -> HTTPResponse.Status {
        if case .conflict = error { return .conflict }
        return .badRequest
    }

    static func date(_ date: Date?) -> String { date.map(Timestamps.minutes) ?? "never" }

    /// The id in a route's `:id` parameter, as a number.
    static func id(_ context: TesseraContext) throws -> Int {
        guard let raw = context.parameters.get("id"), raw.count <= 10, raw.allSatisfy({ $0.isASCII && $0.isNumber }), let id = Int(raw) else {
            throw ServiceError.notFound("no such item")
        }
        return id
    }
}

/// Paging of a list on the server: which slice a page shows, and its previous/next links.
struct Paging {
    static let pageSize = 50
    var offset: Int
    var shown: Int
    var total: Int
    var base: String

    var model: [String: Any] {
        let separator = base.contains("?") ? "&" : "?"
        return [
            "from": total == 0 ? 0 : offset + 1, "to": offset + shown, "total": total,
            "previous": offset > 0 ? "\(base)\(separator)offset=\(max(0, offset - Self.pageSize))" as Any : NSNull(),
            "next": offset + shown < total ? "\(base)\(separator)offset=\(offset + Self.pageSize)" as Any : NSNull(),
        ]
    }
}
