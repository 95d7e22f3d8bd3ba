import Foundation
import Synchronization
import TesseraCrypto

/// Public keys of another party, read from a JWK Set given once or fetched from a JWKS URL: an identity provider's
/// (identity exchange) or an application's (`private_key_jwt`). Fetched sets are kept `maxAge`, and re-read for a
/// `kid` they lack at most every `unknownKidInterval`, so tokens naming made-up kids cannot make every request a fetch.
public final class ForeignKeySet: Sendable {
    private struct Cached {
        var keys: [ForeignVerifyingKey]
        var fetchedAt: Date
    }

    private let fetch: @Sendable (String) async throws -> [UInt8]
    private let maxAge: TimeInterval
    private let unknownKidInterval: TimeInterval
    private let now: @Sendable () -> Date
    private let cache = Mutex<[String: Cached]>([:])

    public init(fetch: @escaping @Sendable (String) async throws -> [UInt8], maxAge: TimeInterval = 300, unknownKidInterval: TimeInterval,
                now: @escaping @Sendable () -> Date = { Date() }) {
        self.fetch = fetch
        self.maxAge = maxAge
        self.unknownKidInterval = unknownKidInterval
        self.now = now
    }

    /// True when a key of the set (the one the JWT's `kid` names, or any when it names none) verifies the JWT.
    /// `owner` names whose keys they are in errors.
    public func verifies(_ jwt: CompactJWT, staticJWKS: String?, url: String?, owner: String) async throws -> Bool {
        let kid = jwt.header["kid"]?.string
        func candidates(_ keys: [ForeignVerifyingKey]) -> [ForeignVerifyingKey] { kid.map { kid in keys.filter { $0.kid == kid } } ?? keys }
        guard let url else { return candidates(ForeignVerifyingKey.keySet(Array((staticJWKS ?? "").utf8)) ?? []).contains { $0.verifies(jwt) } }
        var keys = try await keys(url: url, refetchIfOlderThan: maxAge, owner: owner)
        if candidates(keys).isEmpty { keys = try await self.keys(url: url, refetchIfOlderThan: unknownKidInterval, owner: owner) }
        return candidates(keys).contains { $0.verifies(jwt) }
    }

    private func keys(url: String, refetchIfOlderThan age: TimeInterval, owner: String) async throws -> [ForeignVerifyingKey] {
        if let cached = cache.withLock({ $0[url] }), now().timeIntervalSince(cached.fetchedAt) < age { return cached.keys }
        let body: [UInt8]
        do { body = try await fetch(url) } catch { throw ServiceError.unavailable("\(owner)'s keys cannot be fetched now") }
        guard let keys = ForeignVerifyingKey.keySet(body) else { throw ServiceError.unavailable("\(owner)'s JWKS is not a JWK Set") }
        cache.withLock { cache in
            if cache.count > 1000 { cache.removeAll() }
            cache[url] = Cached(keys: keys, fetchedAt: now())
        }
        return keys
    }
}
