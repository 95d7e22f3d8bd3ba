import Foundation
import Synchronization

/// A clock the tests move by hand: every service built over it reads `now` from here.
public final class TestClock: Sendable {
    private let current: Mutex<Date>

    public init(_ start: Date = Date(timeIntervalSince1970: 1_800_000_000)) { current = Mutex(start) }

    public var now: Date { current.withLock { $0 } }

    /// The closure services take.
    public var reading: @Sendable () -> Date { { [self] in self.now } }

    public func advance(by seconds: TimeInterval) { current.withLock { $0 = $0.addingTimeInterval(seconds) } }

    public var epoch: Int64 { Int64(now.timeIntervalSince1970) }
}
