import Foundation
import Hummingbird
import TesseraCore

/// `/@api/deki/site/audit`: the audit trail, newest first (Admin).
struct AuditRoutes {
    let services: Services

    func register(on surface: Surface) {
        surface.on("/@api/deki/site/audit", .get) { request, context in
            let format = try DekiFormat.of(request)
            let caller = try context.requireCaller()
            try caller.require(.admin)
            let query = request.uri.queryParameters
            let limit = Int(query["limit"] ?? "100") ?? -1
            let offset = Int(query["offset"] ?? "0") ?? -1
            guard (1...1000).contains(limit), offset >= 0 else { throw ServiceError.invalidInput("limit must be 1 to 1000 and offset ≥ 0") }
            await services.audit.flush()
            let events = try await services.store.auditEvents(site: caller.site.id, offset: offset, limit: limit)
            let node = DekiNode("audit", attributes: [("count", String(events.count))], children: events.map { event in
                var children = [DekiNode("client-address", text: event.clientAddress), DekiNode("detail", text: event.detail)]
                if let actor = event.actorUserID { children.append(DekiNode("actor-user-id", text: String(actor))) }
                if let token = event.tokenID { children.append(DekiNode("token-id", text: String(token))) }
                return DekiNode("event", attributes: [
                    ("id", String(event.id)), ("date", Timestamps.rfc1123(event.at)), ("action", event.action), ("outcome", event.outcome),
                    ("count", String(event.count)),
                ], children: children)
            })
            return DekiOutput.response(node, format: format)
        }
    }
}
