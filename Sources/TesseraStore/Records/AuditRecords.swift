import Foundation
import TesseraCore

/// The audit trail.
extension SQLStore: AuditStore {
    public func appendAudit(_ events: [AuditEvent]) async throws {
        guard !events.isEmpty else { return }
        try await db.transaction { tx in
            for e in events {
                try await tx.execute("""
                    INSERT INTO audit_events (site_id, at, action, outcome, actor_user_id, token_id, client_address, detail, count, aggregate_key)
                    VALUES (\(e.siteID), \(e.at), \(e.action), \(e.outcome), \(e.actorUserID), \(e.tokenID), \(e.clientAddress), \(e.detail),
                            \(e.count), \(e.aggregateKey))
                    ON CONFLICT (aggregate_key) DO UPDATE SET count = audit_events.count + excluded.count
                    """)
            }
        }
    }

    public func auditEvents(site: UUID, filter: AuditFilter, offset: Int, limit: Int) async throws -> [AuditEvent] {
        var conditions: [SQL] = ["site_id = \(site)"]
        if let actor = filter.actorUserID { conditions.append("actor_user_id = \(actor)") }
        if let token = filter.tokenID { conditions.append("token_id = \(token)") }
        if let outcome = filter.outcome { conditions.append("outcome = \(outcome)") }
        if let action = filter.action { conditions.append("action = \(action)") }
        if let from = filter.from { conditions.append("at >= \(from)") }
        if let until = filter.until { conditions.append("at < \(until)") }
        let rows = try await db.read("""
            SELECT * FROM audit_events WHERE \(SQL.joined(conditions, separator: " AND ")) ORDER BY id DESC LIMIT \(limit) OFFSET \(offset)
            """)
        return try rows.map { row in
            var event = AuditEvent(siteID: site, id: try row.int64("id"), at: try row.date("at"), action: try row.string("action"),
                                   outcome: try row.string("outcome"), actorUserID: try row.optionalInt("actor_user_id"),
                                   tokenID: try row.optionalInt("token_id"), clientAddress: try row.string("client_address"),
                                   detail: try row.string("detail"), count: try row.int("count"))
            event.aggregateKey = try row.optionalString("aggregate_key")
            return event
        }
    }

    public func pruneAudit(before cutoff: Date) async throws -> Int {
        try await db.execute("DELETE FROM audit_events WHERE at < \(cutoff)")
    }
}
