import Foundation
import Synchronization

/// Delivers store changes to subscribers. SQLite publishes its own writes; PostgreSQL publishes what every
/// instance announces with NOTIFY.
///
/// Caches serve from memory while the feed is live. While it is not (a PostgreSQL listener reconnecting) they read
/// through to the store — unless the store itself is away: then no instance can commit a change, so what memory
/// holds is still what the store holds, and serving it keeps every verify path answering through a database restart.
/// When the feed comes back every cache is dropped, since changes made in the gap were not heard.
public final class ChangeFeed: Sendable {
    private struct State {
        var live: Bool
        var handlers: [@Sendable (StoreChange) -> Void] = []
    }

    private let state: Mutex<State>
    private let storeAway = Atomic<Bool>(false)

    public init(live: Bool) { state = Mutex(State(live: live)) }

    public var isLive: Bool { state.withLock { $0.live } }

    /// Whether a cache may answer from memory: the feed is live, or the store cannot be reached anyway.
    public var mayServeFromMemory: Bool { isStoreAway || isLive }

    /// The store's last query failed for want of a connection: what memory holds is served, however old.
    public var isStoreAway: Bool { storeAway.load(ordering: .relaxed) }

    /// The store failed for want of a connection (true), or answered (false). Set by the store's driver.
    public func setStoreAway(_ away: Bool) {
        if storeAway.load(ordering: .relaxed) != away { storeAway.store(away, ordering: .relaxed) }
    }

    public func setLive(_ live: Bool) {
        let (handlers, becameLive) = state.withLock { state -> ([@Sendable (StoreChange) -> Void], Bool) in
            let becameLive = live && !state.live
            state.live = live
            return (state.handlers, becameLive)
        }
        // Whatever was cached before the gap may be stale; kept while the gap lasts (see `mayServeFromMemory`).
        if becameLive { for handler in handlers { handler(.all) } }
    }

    public func subscribe(_ handler: @escaping @Sendable (StoreChange) -> Void) {
        state.withLock { $0.handlers.append(handler) }
    }

    public func publish(_ change: StoreChange) {
        for handler in state.withLock({ $0.handlers }) { handler(change) }
    }
}
