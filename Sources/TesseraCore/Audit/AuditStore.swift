import Foundation

/// The audit trail.
public protocol AuditStore: Sendable {
    func appendAudit(_ events: [AuditEvent]) async throws
    /// Newest first.
    func auditEvents(site: UUID, offset: Int, limit: Int) async throws -> [AuditEvent]
}
