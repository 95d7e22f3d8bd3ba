import Foundation
import Synchronization

/// A change a store announces so that caches can forget what it touched.
public enum StoreChange: Sendable, Equatable {
    case user(site: UUID, id: Int)
    case developerTokens(site: UUID)
    case signingKeys(site: UUID)
    case sites
    /// Some application registration or its clients changed.
    case applications
    /// A credential was revoked (see `RevocationList`).
    case revoked(Revocation)
    /// Forget everything (a listener reconnected and may have missed changes).
    case all
}

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
