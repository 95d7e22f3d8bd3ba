import Foundation
import Logging
import ServiceLifecycle
import TesseraCore

/// What the server tidies at start and every hour: audit events older than the retention, application
/// registrations whose scheduled deletion has come, and codes, device requests, refresh tokens and client-assertion
/// ids that expired more than a day ago (a day's margin keeps a late replay recognisable as one). Every instance
/// runs it; each step is idempotent.
struct Housekeeping: Service {
    let services: Services
    let retentionDays: Int
    let logger: Logger

    func run() async throws {
        while !Task.isCancelled {
            await tidy()
            do { try await cancelWhenGracefulShutdown { try await Task.sleep(for: .seconds(3600)) } } catch { return }
        }
    }

    func tidy() async {
        await step("audit trail pruned", ["retention_days": "\(retentionDays)"]) {
            try await services.audit.prune(retentionDays: retentionDays, now: Date())
        }
        await step("scheduled application deletions done") { try await services.registrations.deleteScheduled() }
        await step("expired grants forgotten") { try await services.store.forgetExpiredGrants(before: Date().addingTimeInterval(-86_400)) }
    }

    private func step(_ message: Logger.Message, _ metadata: Logger.Metadata = [:], _ body: () async throws -> Int) async {
        do {
            let count = try await body()
            if count > 0 { logger.info(message, metadata: metadata.merging(["rows": "\(count)"]) { $1 }) }
        } catch {
            logger.warning("housekeeping step failed: \(message)", metadata: ["error": "\(type(of: error))"])
        }
    }
}
