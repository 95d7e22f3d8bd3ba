import Foundation
import Synchronization

/// Delivers store changes to subscribers. SQLite publishes its own writes; PostgreSQL publishes what every
/// instance announces with NOTIFY. While the feed is not live (a PostgreSQL listener is reconnecting), caches
/// must not serve from memory.
public final class ChangeFeed: Sendable {
    private struct State {
        var live: Bool
        var handlers: [@Sendable (StoreChange) -> Void] = []
    }

    private let state: Mutex<State>

    public init(live: Bool) { state = Mutex(State(live: live)) }

    public var isLive: Bool { state.withLock { $0.live } }

    public func setLive(_ live: Bool) {
        let handlers = state.withLock { state -> [@Sendable (StoreChange) -> Void] in
            state.live = live
            return state.handlers
        }
        // Whatever was cached before a gap may be stale.
        for handler in handlers { handler(.all) }
    }

    public func subscribe(_ handler: @escaping @Sendable (StoreChange) -> Void) {
        state.withLock { $0.handlers.append(handler) }
    }

    public func publish(_ change: StoreChange) {
        for handler in state.withLock({ $0.handlers }) { handler(change) }
    }
}
