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
/// Writes run one after another; `flush()` returns once everything recorded before it is stored.
public final class AuditLog: Sendable {
    private struct State {
        var pending: [AuditEvent] = []
        var dropped = 0
        var scheduled = false
        /// The last write started; the next one waits for it, so writes keep their order.
        var tail: Task<Void, Never>?
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

    /// Queues an event; a background task writes the queue shortly after, in one transaction.
    public func record(_ event: AuditEvent) {
        let schedule = state.withLock { state -> Bool in
            guard state.pending.count < capacity else {
                state.dropped += 1
                return false
            }
            state.pending.append(event)
            if state.scheduled { return false }
            state.scheduled = true
            return true
        }
        if schedule {
            Task {
                // A short pause lets a burst collect into one transaction.
                try? await Task.sleep(for: .milliseconds(50))
                state.withLock { $0.scheduled = false }
                await flush()
            }
        }
    }

    /// Writes everything queued so far and waits until it, and any write already under way, is stored.
    public func flush() async {
        let (write, dropped) = state.withLock { state -> (Task<Void, Never>, Int) in
            let batch = state.pending
            state.pending.removeAll(keepingCapacity: true)
            let dropped = state.dropped
            state.dropped = 0
            let previous = state.tail
            let write = Task {
                await previous?.value
                guard !batch.isEmpty else { return }
                do {
                    try await store.appendAudit(batch)
                } catch {
                    logger.error("audit events not written", metadata: ["count": "\(batch.count)", "error": "\(type(of: error))"])
                }
            }
            state.tail = write
            return (write, dropped)
        }
        if dropped > 0 { logger.warning("audit queue full: events dropped", metadata: ["count": "\(dropped)"]) }
        await write.value
    }
}
