import Foundation
import Synchronization
import Testing
import TesseraTestSupport
import TesseraCore

@Suite struct HostnameTests {
    @Test(arguments: [
        ("Example.COM", "example.com"), ("example.com:8080", "example.com"), ("example.com.", "example.com"),
        ("127.0.0.1:80", "127.0.0.1"), ("[::1]:8080", "[::1]"), ("a-b.example", "a-b.example"), ("localhost", "localhost"),
        ("  Host.Example.:65535 ", "host.example"), ("[::1]", "[::1]"), ("under_score.example", "under_score.example"),
        (String(repeating: "a", count: 63) + ".com", String(repeating: "a", count: 63) + ".com"),
    ])
    func validHostsNormalise(_ raw: String, _ expected: String) {
        #expect(Hostname.normalise(raw) == expected)
    }

    @Test(arguments: [
        "", " ", "bad host", "exa mple.com", "example.com:", "example.com:99999", "example.com:8o", "-a.example", "a-.example",
        "a..b", ".", "[::1", "[zz]", "evil.com/path", "user@host", String(repeating: "a", count: 64) + ".com",
        String(repeating: "a.", count: 140), "host\r\nx", "ex\u{0}ample",
        "example.com:65536", "example.com:000000", "a.-b.example", "a.b-", "éxample.com", "[::1]x", "[::1]:", "[::1]:99999",
    ])
    func malformedHostsAreRefused(_ raw: String) {
        #expect(Hostname.normalise(raw) == nil)
    }
}

@Suite struct UserReferenceTests {
    @Test func parsesIdsAndUsernames() {
        #expect(UserReference.parse("12") == .id(12))
        #expect(UserReference.parse("=bob") == .username("bob"))
        #expect(UserReference.parse("=a_b%40example.com") == .username("a_b@example.com"))
    }

    @Test(arguments: ["", "=", "abc", "-1", "1.5", "12345678901", "١٢", " 1"])
    func refusesOthers(_ raw: String) {
        #expect(UserReference.parse(raw) == nil)
    }
}

@Suite struct UserRulesTests {
    @Test(arguments: ["", "=bob", " bob", "bob ", "a/b", "123", "tab\there", String(repeating: "x", count: 256)])
    func badUsernames(_ name: String) {
        #expect(throws: ServiceError.self) { try UserRules.validateUsername(name) }
    }

    @Test(arguments: ["bob", "bob_smith", "Zoë", "a.b-c@example.com"])
    func goodUsernames(_ name: String) throws {
        try UserRules.validateUsername(name)
    }

    @Test func passwordBounds() throws {
        #expect(throws: ServiceError.self) { try UserRules.validatePassword("short") }
        #expect(throws: ServiceError.self) { try UserRules.validatePassword(String(repeating: "x", count: 1025)) }
        try UserRules.validatePassword("long enough")
    }

    @Test func emails() throws {
        try UserRules.validateEmail("")
        try UserRules.validateEmail("a@example.com")
        for bad in ["a", "a@b", "@example.com", "a b@example.com", "a@@example.com"] {
            #expect(throws: ServiceError.self) { try UserRules.validateEmail(bad) }
        }
    }
}

@Suite struct RoleTests {
    @Test func builtInRoles() {
        #expect(Role.named("admin") == .admin)
        #expect(Role.admin.allows(.accessKey) && Role.admin.allows(.myAccessKey) && Role.admin.allows(.tokenAdministration))
        #expect(Role.contributor.allows(.myAccessKey) && !Role.contributor.allows(.accessKey))
        #expect(!Role.viewer.allows(.admin))
        #expect(!Role.anonymous.allows(.login))
        #expect(Permission.myAccessKey.displayName == "My Access Key")
        #expect(Permission.accessKey.displayName == "Access Key")
    }
}

@Suite struct LoginThrottleTests {
    let policy = LoginThrottle.Policy(slowAfter: 2, blockAfter: 4, window: 60, blockFor: 30)
    let wide = LoginThrottle.Policy(slowAfter: 100, blockAfter: 1000, window: 60, blockFor: 30)
    let guessing = LoginThrottle.Policy(slowAfter: 3, blockAfter: .max, window: 60, blockFor: 0, maxDelay: 1)

    @Test func slowsThenBlocksThePairThenForgives() throws {
        let clock = TestClock()
        let throttle = LoginThrottle(pair: policy, address: wide, account: wide, now: clock.reading)
        #expect(throttle.recordFailure(account: "a", address: "ip") == 0)
        #expect(throttle.recordFailure(account: "a", address: "ip") == 0)
        #expect(throttle.recordFailure(account: "a", address: "ip") > 0)
        try throttle.check(account: "a", address: "ip")
        _ = throttle.recordFailure(account: "a", address: "ip")
        #expect(throws: ServiceError.throttled(retryAfter: 30)) { try throttle.check(account: "a", address: "ip") }
        // Another account from the same address is not blocked by it; nor is the account from another address.
        try throttle.check(account: "b", address: "ip")
        try throttle.check(account: "a", address: "other-ip")
        clock.advance(by: 31)
        try throttle.check(account: "a", address: "ip")
        throttle.recordSuccess(account: "a", address: "ip")
        #expect(throttle.recordFailure(account: "a", address: "ip") == 0)
    }

    @Test func failuresFromOtherAddressesNeverRefuseTheUser() throws {
        let clock = TestClock()
        let throttle = LoginThrottle(pair: policy, address: policy, account: guessing, now: clock.reading)
        var delays: [TimeInterval] = []
        for i in 0..<200 { delays.append(throttle.recordFailure(account: "victim", address: "attacker-\(i)")) }
        // Every attacker address failed once: none is blocked, the victim's own address is not either.
        #expect(throws: Never.self) { try throttle.check(account: "victim", address: "home") }
        // But guessing at one account from many addresses is slowed down, capped at a second.
        #expect(delays.suffix(10).allSatisfy { $0 == 1 })
        #expect(delays.prefix(3).allSatisfy { $0 == 0 })
    }

    @Test func addressBlocksEveryAccount() {
        let clock = TestClock()
        let throttle = LoginThrottle(pair: wide, address: policy, account: wide, now: clock.reading)
        for i in 0..<4 { _ = throttle.recordFailure(account: "user\(i)", address: "10.0.0.1") }
        #expect(throws: ServiceError.self) { try throttle.check(account: "fresh", address: "10.0.0.1") }
        #expect(throws: Never.self) { try throttle.check(account: "fresh", address: "10.0.0.2") }
    }

    @Test func windowExpiryResetsCount() {
        let clock = TestClock()
        let throttle = LoginThrottle(pair: policy, address: wide, account: wide, now: clock.reading)
        _ = throttle.recordFailure(account: "a", address: "ip")
        _ = throttle.recordFailure(account: "a", address: "ip")
        clock.advance(by: 61)
        #expect(throttle.recordFailure(account: "a", address: "ip") == 0)
    }

    @Test func memoryStaysBounded() throws {
        let clock = TestClock()
        let throttle = LoginThrottle(pair: policy, address: policy, account: policy, maxEntries: 100, now: clock.reading)
        for i in 0..<1000 { _ = throttle.recordFailure(account: "u\(i)", address: "a\(i)") }
        // The newest keys are still tracked.
        for _ in 0..<3 { _ = throttle.recordFailure(account: "u999", address: "a999") }
        #expect(throws: ServiceError.self) { try throttle.check(account: "u999", address: "a999") }
    }
}
