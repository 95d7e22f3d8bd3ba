import Foundation
import TesseraCore

/// The audit trail.
extension SQLStore: AuditStore {
    public func appendAudit(_ events: [AuditEvent]) async throws {
        guard !events.isEmpty else { return }
        try await db.transaction { tx in
            for e in events {
                try await tx.execute("""
                    INSERT INTO audit_events (site_id, at, action, outcome, actor_user_id, token_id, client_address, detail)
                    VALUES (\(e.siteID), \(e.at), \(e.action), \(e.outcome), \(e.actorUserID), \(e.tokenID), \(e.clientAddress), \(e.detail))
                    """)
            }
        }
    }

    public func auditEvents(site: UUID, offset: Int, limit: Int) async throws -> [AuditEvent] {
        try await db.read("SELECT * FROM audit_events WHERE site_id = \(site) ORDER BY id DESC LIMIT \(limit) OFFSET \(offset)").map { row in
            AuditEvent(siteID: site, id: try row.int64("id"), at: try row.date("at"), action: try row.string("action"), outcome: try row.string("outcome"),
                       actorUserID: try row.optionalInt("actor_user_id"), tokenID: try row.optionalInt("token_id"),
                       clientAddress: try row.string("client_address"), detail: try row.string("detail"))
        }
    }
}
