import Foundation
import Synchronization
import Testing
import TesseraCore
import TesseraCrypto
import TesseraTestSupport

/// A JWKS URL is read by one fetch at a time however many unauthenticated requests need it, and a failed fetch is
/// not repeated for the back-off interval: a slow or dead JWKS host cannot be made to take a request per request.
@Suite struct ForeignKeySetTests {
    static let url = "https://idp.example/jwks"

    /// A JWKS host that counts its fetches, answers with `body`, and holds each answer until released.
    final class Host: Sendable {
        let fetches = Mutex(0)
        let body = Mutex<[UInt8]?>(nil)
        let gate = Mutex<[CheckedContinuation<Void, Never>]>([])
        let holding = Mutex(false)

        func fetch(_ url: String) async throws -> [UInt8] {
            fetches.withLock { $0 += 1 }
            if holding.withLock({ $0 }) { await withCheckedContinuation { c in gate.withLock { $0.append(c) } } }
            guard let body = body.withLock({ $0 }) else { throw URLError(.cannotConnectToHost) }
            return body
        }

        func release() {
            holding.withLock { $0 = false }
            for c in gate.withLock({ g in defer { g = [] }; return g }) { c.resume() }
        }

        var count: Int { fetches.withLock { $0 } }
        var waiting: Int { gate.withLock { $0.count } }
    }

    static func jwks(_ keys: RSASigningKey...) -> [UInt8] {
        Array(JSONValue.serialise([("keys", .array(keys.map { JSONValue.object($0.publicKey.jwk) }))]).utf8)
    }

    static func jwt(_ key: RSASigningKey, kid: String? = nil) throws -> CompactJWT {
        var token = try key.signJWT(claims: [("sub", .string("x"))])
        if let kid {  // the same signature under a header naming another kid does not verify; only the kid matters here
            let parts = token.split(separator: ".")
            token = Base64URL.encode(Array(JSONValue.serialise([("alg", .string("RS256")), ("kid", .string(kid))]).utf8)) + "." + parts[1] + "." + parts[2]
        }
        return try #require(CompactJWT.parse(token))
    }

    @Test func concurrentRequestsShareOneFetch() async throws {
        let key = try RSASigningKey.generate()
        let host = Host()
        host.body.withLock { $0 = Self.jwks(key) }
        host.holding.withLock { $0 = true }
        let clock = TestClock()
        let set = ForeignKeySet(fetch: host.fetch, unknownKidInterval: 5, now: clock.reading)
        let jwt = try Self.jwt(key)
        try await withThrowingTaskGroup(of: Bool.self) { group in
            for _ in 0..<50 { group.addTask { try await set.verifies(jwt, staticJWKS: nil, url: Self.url, owner: "idp") } }
            while host.waiting < 1 { try await Task.sleep(for: .milliseconds(5)) }
            try await Task.sleep(for: .milliseconds(50))  // the other 49 arrive meanwhile
            host.release()
            for try await verified in group { #expect(verified) }
        }
        #expect(host.count == 1)
    }

    @Test func aFailedFetchIsNotRepeatedUntilTheIntervalHasPassed() async throws {
        let key = try RSASigningKey.generate()
        let host = Host()
        let clock = TestClock()
        let set = ForeignKeySet(fetch: host.fetch, unknownKidInterval: 5, now: clock.reading)
        let jwt = try Self.jwt(key)
        for _ in 0..<20 {
            await #expect(throws: ServiceError.self) { try await set.verifies(jwt, staticJWKS: nil, url: Self.url, owner: "idp") }
        }
        #expect(host.count == 1)
        host.body.withLock { $0 = Self.jwks(key) }
        clock.advance(by: 4)
        await #expect(throws: ServiceError.self) { try await set.verifies(jwt, staticJWKS: nil, url: Self.url, owner: "idp") }
        #expect(host.count == 1)
        clock.advance(by: 2)
        #expect(try await set.verifies(jwt, staticJWKS: nil, url: Self.url, owner: "idp"))
        #expect(host.count == 2)
    }

    /// Unknown kids re-read the set once per interval; a failed re-read keeps the set read within `maxAge`, and
    /// never one older.
    @Test func unknownKidsAndStaleSets() async throws {
        let key = try RSASigningKey.generate(), rotated = try RSASigningKey.generate()
        let host = Host()
        host.body.withLock { $0 = Self.jwks(key) }
        let clock = TestClock()
        let set = ForeignKeySet(fetch: host.fetch, maxAge: 300, unknownKidInterval: 5, now: clock.reading)
        #expect(try await set.verifies(try Self.jwt(key), staticJWKS: nil, url: Self.url, owner: "idp"))
        let madeUp = try Self.jwt(key, kid: "made-up")
        clock.advance(by: 6)
        for _ in 0..<10 { #expect(try await !set.verifies(madeUp, staticJWKS: nil, url: Self.url, owner: "idp")) }
        #expect(host.count == 2)
        // The host goes down; the rotated key's kid is unknown, the re-read fails, the known key still verifies.
        host.body.withLock { $0 = nil }
        clock.advance(by: 6)
        await #expect(throws: ServiceError.self) { try await set.verifies(try Self.jwt(rotated), staticJWKS: nil, url: Self.url, owner: "idp") }
        #expect(try await set.verifies(try Self.jwt(key), staticJWKS: nil, url: Self.url, owner: "idp"))
        #expect(host.count == 3)
        // Past maxAge, with the host still down: no answer from the old set.
        clock.advance(by: 300)
        await #expect(throws: ServiceError.self) { try await set.verifies(try Self.jwt(key), staticJWKS: nil, url: Self.url, owner: "idp") }
        await #expect(throws: ServiceError.self) { try await set.verifies(try Self.jwt(key), staticJWKS: nil, url: Self.url, owner: "idp") }
        #expect(host.count == 4)
        // Back up, after the interval: the rotated key is read and verifies.
        host.body.withLock { $0 = Self.jwks(key, rotated) }
        clock.advance(by: 6)
        #expect(try await set.verifies(try Self.jwt(rotated), staticJWKS: nil, url: Self.url, owner: "idp"))
        #expect(host.count == 5)
    }
}
