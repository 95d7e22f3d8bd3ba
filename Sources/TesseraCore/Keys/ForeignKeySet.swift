import Foundation
import Synchronization
import TesseraCrypto

/// Public keys of another party, read from a JWK Set given once or fetched from a JWKS URL: an identity provider's
/// (identity exchange) or an application's (`private_key_jwt`). Fetched sets are kept `maxAge`, and re-read for a
/// `kid` they lack at most every `unknownKidInterval`, so tokens naming made-up kids cannot make every request a fetch.
///
/// The callers are unauthenticated (anyone may post an ID token or a client assertion), so a URL is never read by
/// more than one fetch at a time — requests that need it meanwhile wait for that one — and a fetch that failed is
/// not tried again for `unknownKidInterval`: a slow or dead JWKS host cannot be made to take one request per
/// request, and the server holds at most one connection to it.
public final class ForeignKeySet: Sendable {
    private struct Entry {
        var keys: [ForeignVerifyingKey]?
        var fetchedAt: Date?
        var failedAt: Date?
        var inFlight: Task<[ForeignVerifyingKey], any Error>?
    }

    private enum FetchFailure: Error {
        case unreachable, notAKeySet
    }

    private let fetch: @Sendable (String) async throws -> [UInt8]
    private let maxAge: TimeInterval
    private let unknownKidInterval: TimeInterval
    private let now: @Sendable () -> Date
    private let entries = Mutex<[String: Entry]>([:])

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

    /// The set read less than `age` ago; else the fetch under way, or a new one — unless the last one failed less
    /// than `unknownKidInterval` ago, when the set still within `maxAge` (if any) is the answer.
    private func keys(url: String, refetchIfOlderThan age: TimeInterval, owner: String) async throws -> [ForeignVerifyingKey] {
        enum Next {
            case have([ForeignVerifyingKey]), wait(Task<[ForeignVerifyingKey], any Error>), backingOff
        }
        let at = now()
        let next: Next = entries.withLock { entries in
            var entry = entries[url] ?? Entry()
            func read(within age: TimeInterval) -> [ForeignVerifyingKey]? {
                entry.fetchedAt.flatMap { at.timeIntervalSince($0) < age ? entry.keys : nil }
            }
            if let keys = read(within: age) { return .have(keys) }
            if let task = entry.inFlight { return .wait(task) }
            if let failed = entry.failedAt, at.timeIntervalSince(failed) < unknownKidInterval {
                return read(within: maxAge).map(Next.have) ?? .backingOff
            }
            let task = Task { try await self.fetchKeySet(url) }
            entry.inFlight = task
            if entries.count >= 1000 { entries = entries.filter { $0.value.inFlight != nil } }
            entries[url] = entry
            return .wait(task)
        }
        switch next {
        case .have(let keys): return keys
        case .backingOff: throw ServiceError.unavailable("\(owner)'s keys cannot be fetched now")
        case .wait(let task):
            do { return try await task.value } catch FetchFailure.notAKeySet {
                throw ServiceError.unavailable("\(owner)'s JWKS is not a JWK Set")
            } catch {
                throw ServiceError.unavailable("\(owner)'s keys cannot be fetched now")
            }
        }
    }

    /// The one fetch of `url` under way; what it found (or that it failed) is recorded before any waiter resumes.
    private func fetchKeySet(_ url: String) async throws -> [ForeignVerifyingKey] {
        let result: Result<[ForeignVerifyingKey], FetchFailure>
        do {
            let body = try await fetch(url)
            result = ForeignVerifyingKey.keySet(body).map { .success($0) } ?? .failure(.notAKeySet)
        } catch {
            result = .failure(.unreachable)
        }
        let at = now()
        entries.withLock { entries in
            var entry = entries[url] ?? Entry()
            entry.inFlight = nil
            switch result {
            case .success(let keys):
                (entry.keys, entry.fetchedAt, entry.failedAt) = (keys, at, nil)
            case .failure:
                entry.failedAt = at
            }
            entries[url] = entry
        }
        return try result.get()
    }
}
