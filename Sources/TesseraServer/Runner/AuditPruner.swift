import Foundation
import Logging
import ServiceLifecycle
import TesseraCore

/// Applies the audit trail's retention: at start and every hour, events older than the retention are forgotten.
struct AuditPruner: Service {
    let audit: AuditLog
    let retentionDays: Int
    let logger: Logger

    func run() async throws {
        while !Task.isCancelled {
            do {
                let pruned = try await audit.prune(retentionDays: retentionDays, now: Date())
                if pruned > 0 { logger.info("audit trail pruned", metadata: ["events": "\(pruned)", "retention_days": "\(retentionDays)"]) }
            } catch {
                logger.warning("audit trail not pruned", metadata: ["error": "\(type(of: error))"])
            }
            do { try await cancelWhenGracefulShutdown { try await Task.sleep(for: .seconds(3600)) } } catch { return }
        }
    }
}
