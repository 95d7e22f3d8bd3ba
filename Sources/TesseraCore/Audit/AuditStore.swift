import Foundation

/// The audit trail.
public protocol AuditStore: Sendable {
    /// Appends events; an event with an `aggregateKey` that is already stored adds its count to that row instead.
    func appendAudit(_ events: [AuditEvent]) async throws
    /// Newest first, filtered.
    func auditEvents(site: UUID, filter: AuditFilter, offset: Int, limit: Int) async throws -> [AuditEvent]
    /// Forgets events older than `cutoff`; returns how many.
    func pruneAudit(before cutoff: Date) async throws -> Int
}

extension AuditStore {
    /// Newest first, unfiltered.
    public func auditEvents(site: UUID, offset: Int, limit: Int) async throws -> [AuditEvent] {
        try await auditEvents(site: site, filter: AuditFilter(), offset: offset, limit: limit)
    }
}
