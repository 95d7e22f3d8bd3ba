import Foundation
import Synchronization

/// Slows down and then refuses repeated failed sign-ins, per account and per client address.
///
/// After `slowAfter` failures in the window each further failure is answered late (doubling, capped); after
/// `blockAfter` failures the key is refused with 429 for `blockFor` seconds. Blocks always expire, and a
/// successful sign-in clears the account's record, so the real user is never locked out for good.
/// The state is per process and bounded in size.
public final class LoginThrottle: Sendable {
    /// Limits for one kind of key.
    public struct Policy: Sendable {
        public var slowAfter: Int
        public var blockAfter: Int
        public var window: TimeInterval
        public var blockFor: TimeInterval
        public var maxDelay: TimeInterval

        public init(slowAfter: Int, blockAfter: Int, window: TimeInterval, blockFor: TimeInterval, maxDelay: TimeInterval = 2) {
            self.slowAfter = slowAfter
            self.blockAfter = blockAfter
            self.window = window
            self.blockFor = blockFor
            self.maxDelay = maxDelay
        }

        public static let account = Policy(slowAfter: 3, blockAfter: 10, window: 900, blockFor: 300)
        public static let address = Policy(slowAfter: 10, blockAfter: 50, window: 900, blockFor: 300)
    }

    private struct Record {
        var failures: Int
        var windowStart: Date
        var blockedUntil: Date?
    }

    private struct State {
        var accounts: [String: Record] = [:]
        var addresses: [String: Record] = [:]
    }

    private let state = Mutex(State())
    private let accountPolicy: Policy
    private let addressPolicy: Policy
    private let maxEntries: Int
    private let now: @Sendable () -> Date

    public init(account: Policy = .account, address: Policy = .address, maxEntries: Int = 50_000, now: @escaping @Sendable () -> Date = { Date() }) {
        self.accountPolicy = account
        self.addressPolicy = address
        self.maxEntries = maxEntries
        self.now = now
    }

    /// Throws `.throttled` when either key is blocked right now.
    public func check(account: String, address: String) throws(ServiceError) {
        let now = self.now()
        let wait = state.withLock { state -> TimeInterval in
            let a = state.accounts[account]?.blockedUntil.map { $0.timeIntervalSince(now) } ?? 0
            let b = state.addresses[address]?.blockedUntil.map { $0.timeIntervalSince(now) } ?? 0
            return max(a, b)
        }
        if wait > 0 { throw .throttled(retryAfter: Int(wait.rounded(.up))) }
    }

    /// Records a failure; returns how long the caller should wait before answering it.
    public func recordFailure(account: String, address: String) -> TimeInterval {
        let now = self.now()
        return state.withLock { state in
            let a = Self.bump(&state.accounts, key: account, policy: accountPolicy, now: now, maxEntries: maxEntries)
            let b = Self.bump(&state.addresses, key: address, policy: addressPolicy, now: now, maxEntries: maxEntries)
            return max(a, b)
        }
    }

    /// A successful sign-in clears the account's failures (not the address's: one good password does not
    /// excuse many wrong guesses at other accounts).
    public func recordSuccess(account: String) {
        state.withLock { _ = $0.accounts.removeValue(forKey: account) }
    }

    private static func bump(_ table: inout [String: Record], key: String, policy: Policy, now: Date, maxEntries: Int) -> TimeInterval {
        var record = table[key] ?? Record(failures: 0, windowStart: now, blockedUntil: nil)
        if now.timeIntervalSince(record.windowStart) > policy.window {
            record = Record(failures: 0, windowStart: now, blockedUntil: nil)
        }
        record.failures += 1
        if record.failures >= policy.blockAfter {
            record.blockedUntil = now.addingTimeInterval(policy.blockFor)
            // A fresh window once the block ends: the next failures slow down again before blocking again.
            record.windowStart = now.addingTimeInterval(policy.blockFor)
            record.failures = policy.slowAfter
        }
        if table[key] == nil, table.count >= maxEntries { evict(&table, now: now, policy: policy, maxEntries: maxEntries) }
        table[key] = record
        guard record.failures > policy.slowAfter else { return 0 }
        let exponent = min(record.failures - policy.slowAfter - 1, 10)
        return min(policy.maxDelay, 0.25 * Double(1 << exponent))
    }

    /// Drops expired records, then (if still full) the oldest half, so memory stays bounded under a flood.
    private static func evict(_ table: inout [String: Record], now: Date, policy: Policy, maxEntries: Int) {
        table = table.filter { _, r in
            now.timeIntervalSince(r.windowStart) <= policy.window || (r.blockedUntil.map { $0 > now } ?? false)
        }
        if table.count >= maxEntries {
            let keep = table.sorted { $0.value.windowStart > $1.value.windowStart }.prefix(table.count / 2)
            table = Dictionary(uniqueKeysWithValues: keep.map { ($0.key, $0.value) })
        }
    }
}
