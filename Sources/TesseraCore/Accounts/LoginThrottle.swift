import Foundation
import Synchronization

/// Slows down and then refuses repeated failed sign-ins — for the pair of account and client address that fails,
/// and for an address that fails against many accounts — but never for an account as such: failures from other
/// addresses never refuse the right password from the user's own. Guessing at one account from many addresses is
/// slowed down (each failure answered later, capped at a second), not refused.
///
/// After `slowAfter` failures in the window each further failure is answered late (doubling, capped); after
/// `blockAfter` failures the key is refused with 429 for `blockFor` seconds. Blocks always expire, and a successful
/// sign-in clears its pair's record. The state is per process and bounded in size.
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

        /// One account from one address.
        public static let pair = Policy(slowAfter: 3, blockAfter: 10, window: 900, blockFor: 300)
        /// One address, whatever the account.
        public static let address = Policy(slowAfter: 10, blockAfter: 50, window: 900, blockFor: 300)
        /// One account, whatever the address: slowed down only, never refused.
        public static let account = Policy(slowAfter: 10, blockAfter: .max, window: 900, blockFor: 0, maxDelay: 1)
    }

    private struct Record {
        var failures: Int
        var windowStart: Date
        var blockedUntil: Date?
    }

    private struct State {
        var pairs: [String: Record] = [:]
        var addresses: [String: Record] = [:]
        var accounts: [String: Record] = [:]
    }

    private let state = Mutex(State())
    private let pairPolicy: Policy
    private let addressPolicy: Policy
    private let accountPolicy: Policy
    private let maxEntries: Int
    private let now: @Sendable () -> Date

    public init(pair: Policy = .pair, address: Policy = .address, account: Policy = .account, maxEntries: Int = 50_000,
                now: @escaping @Sendable () -> Date = { Date() }) {
        self.pairPolicy = pair
        self.addressPolicy = address
        self.accountPolicy = account
        self.maxEntries = maxEntries
        self.now = now
    }

    private static func pairKey(_ account: String, _ address: String) -> String { account + "\u{1F}" + address }

    /// Throws `.throttled` when this account from this address, or this address, is blocked right now.
    public func check(account: String, address: String) throws(ServiceError) {
        let now = self.now()
        let wait = state.withLock { state -> TimeInterval in
            let pair = state.pairs[Self.pairKey(account, address)]?.blockedUntil.map { $0.timeIntervalSince(now) } ?? 0
            let spray = state.addresses[address]?.blockedUntil.map { $0.timeIntervalSince(now) } ?? 0
            return max(pair, spray)
        }
        if wait > 0 { throw .throttled(retryAfter: Int(wait.rounded(.up))) }
    }

    /// Records a failure; returns how long the caller should wait before answering it.
    public func recordFailure(account: String, address: String) -> TimeInterval {
        let now = self.now()
        return state.withLock { state in
            let pair = Self.bump(&state.pairs, key: Self.pairKey(account, address), policy: pairPolicy, now: now, maxEntries: maxEntries)
            let spray = Self.bump(&state.addresses, key: address, policy: addressPolicy, now: now, maxEntries: maxEntries)
            let guessing = Self.bump(&state.accounts, key: account, policy: accountPolicy, now: now, maxEntries: maxEntries)
            return max(pair, spray, guessing)
        }
    }

    /// A successful sign-in clears its pair's failures (not the address's: one good password does not excuse many
    /// wrong guesses at other accounts; nor the account's, which other addresses may be guessing at).
    public func recordSuccess(account: String, address: String) {
        state.withLock { _ = $0.pairs.removeValue(forKey: Self.pairKey(account, address)) }
    }

    private static func bump(_ table: inout [String: Record], key: String, policy: Policy, now: Date, maxEntries: Int) -> TimeInterval {
        var record = table[key] ?? Record(failures: 0, windowStart: now, blockedUntil: nil)
        if now.timeIntervalSince(record.windowStart) > policy.window {
            record = Record(failures: 0, windowStart: now, blockedUntil: nil)
        }
        record.failures += 1
        if policy.blockAfter != .max, record.failures >= policy.blockAfter {
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
