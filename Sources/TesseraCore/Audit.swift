import Foundation
import Logging
import Synchronization

/// One entry of the audit trail. Never holds a secret: only ids, the kind of credential, an outcome and a reason.
public struct AuditEvent: Sendable, Equatable {
    public var siteID: UUID
    public var id: Int64
    public var at: Date
    /// What happened, e.g. `developer-token.create`, `credential.refused`.
    public var action: String
    /// `success` or `refused`.
    public var outcome: String
    /// The acting user, when known.
    public var actorUserID: Int?
    public var tokenID: Int?
    public var clientAddress: String
    /// A short reason or description, safe to show to an administrator.
    public var detail: String

    public init(siteID: UUID, id: Int64 = 0, at: Date = Date(), action: String, outcome: String, actorUserID: Int?, tokenID: Int?,
                clientAddress: String, detail: String) {
        self.siteID = siteID
        self.id = id
        self.at = at
        self.action = action
        self.outcome = outcome
        self.actorUserID = actorUserID
        self.tokenID = tokenID
        self.clientAddress = clientAddress
        self.detail = String(detail.prefix(500))
    }
}

/// Writes audit events in batches off the request path. The queue is bounded: under a flood of refused
/// credentials, events beyond it are counted as dropped (and the count is logged) rather than piling up.
public final class AuditLog: Sendable {
    private struct State {
        var pending: [AuditEvent] = []
        var dropped = 0
        var flushing = false
    }

    private let store: any Store
    private let logger: Logger
    private let capacity: Int
    private let state = Mutex(State())

    public init(store: any Store, logger: Logger, capacity: Int = 10_000) {
        self.store = store
        self.logger = logger
        self.capacity = capacity
    }

    /// Queues an event; a background task writes the queue in one transaction.
    public func record(_ event: AuditEvent) {
        let startFlush = state.withLock { state -> Bool in
            guard state.pending.count < capacity else {
                state.dropped += 1
                return false
            }
            state.pending.append(event)
            if state.flushing { return false }
            state.flushing = true
            return true
        }
        if startFlush { Task { await flushLoop() } }
    }

    /// Writes everything queued so far (also used by tests and at shutdown).
    public func flush() async {
        while true {
            let batch = state.withLock { state -> [AuditEvent] in
                let batch = state.pending
                state.pending.removeAll(keepingCapacity: true)
                return batch
            }
            if batch.isEmpty { return }
            do {
                try await store.appendAudit(batch)
            } catch {
                logger.error("audit events not written", metadata: ["count": "\(batch.count)", "error": "\(type(of: error))"])
            }
        }
    }

    private func flushLoop() async {
        // A short pause lets a burst collect into one transaction.
        try? await Task.sleep(for: .milliseconds(50))
        await flush()
        let (dropped, again) = state.withLock { state -> (Int, Bool) in
            let dropped = state.dropped
            state.dropped = 0
            state.flushing = !state.pending.isEmpty
            return (dropped, state.flushing)
        }
        if dropped > 0 { logger.warning("audit queue full: events dropped", metadata: ["count": "\(dropped)"]) }
        if again { await flushLoop() }
    }
}
