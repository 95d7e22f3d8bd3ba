import Foundation
import Hummingbird
import Logging
import ServiceLifecycle
import TesseraCore
import TesseraCrypto
import TesseraStore

/// Closes the store after the HTTP server (started after it, so stopped before it) has drained.
struct StoreCloser: Service {
    let store: any Store
    let audit: AuditLog
    let logger: Logger

    func run() async throws {
        try? await gracefulShutdown()
        await audit.flush()
        do {
            try await store.close()
            logger.info("store closed")
        } catch {
            logger.error("store did not close cleanly", metadata: ["error": "\(type(of: error))"])
            throw error
        }
    }
}
