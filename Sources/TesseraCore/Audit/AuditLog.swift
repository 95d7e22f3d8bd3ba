import Foundation
import Logging
import Synchronization

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

    private let store: any AuditStore
    private let logger: Logger
    private let capacity: Int
    private let state = Mutex(State())

    public init(store: any AuditStore, logger: Logger, capacity: Int = 10_000) {
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
            // Refusals of the same minute, address and reason become one row with a count.
            if let key = event.aggregateKey, let index = state.pending.lastIndex(where: { $0.aggregateKey == key }) {
                state.pending[index].count += event.count
            } else {
                state.pending.append(event)
            }
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

    /// Forgets events older than the retention (days); returns how many. Run periodically by the server.
    public func prune(retentionDays: Int, now: Date) async throws -> Int {
        try await store.pruneAudit(before: now.addingTimeInterval(-Double(retentionDays) * 86_400))
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
