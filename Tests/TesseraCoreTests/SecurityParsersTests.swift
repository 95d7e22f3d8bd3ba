import Foundation
import Testing
import TesseraCore

/// The small parsers the trust rules stand on: redirect targets, trusted proxies, usernames.
@Suite struct SecurityParsersTests {
    @Test(arguments: ["/\t/evil.example", "/\\evil.example", "\\\\evil.example", " /x", "/x ", "/a\nb", "/a\rb", "\u{0}", "/\u{7F}",
                      "https://a.example/\u{85}", "https://a.example/\u{2028}", "https://a.example/\u{200B}x", "", String(repeating: "a", count: 2049)])
    func uncleanRedirectsAreRefused(_ target: String) {
        #expect(!RedirectTarget.isClean(target))
    }

    @Test(arguments: ["/", "/path?x=1#f", "https://app.example/cb?a=b", "http://127.0.0.1:9999/cb", "/ümlaut"])
    func cleanRedirectsPass(_ target: String) {
        #expect(RedirectTarget.isClean(target))
    }

    @Test func trustedProxiesDecideWhoseForwardingToBelieve() throws {
        let proxies = try TrustedProxies(parsing: "127.0.0.1/32, 10.0.0.0/8,::1")
        #expect(proxies.trusts("10.200.3.4") && proxies.trusts("::1") && !proxies.trusts("11.0.0.1") && !proxies.trusts("garbage"))
        #expect(proxies.clientAddress(peer: "203.0.113.9", forwarded: nil, xForwardedFor: "1.2.3.4") == "203.0.113.9")
        #expect(proxies.clientAddress(peer: "127.0.0.1", forwarded: nil, xForwardedFor: "198.51.100.7, 10.1.1.1") == "198.51.100.7")
        #expect(proxies.clientAddress(peer: "127.0.0.1", forwarded: nil, xForwardedFor: "6.6.6.6, 198.51.100.7") == "198.51.100.7")
        #expect(proxies.clientAddress(peer: "127.0.0.1", forwarded: "for=192.0.2.60;proto=https, for=\"[2001:db8::1]:4711\"", xForwardedFor: "9.9.9.9")
                == "2001:db8::1")
        #expect(proxies.clientAddress(peer: "127.0.0.1", forwarded: nil, xForwardedFor: "not-an-address") == "127.0.0.1")
        // The proxy appends `, for=<peer>` to what the client sent; a mark that joins the character after it (U+0600)
        // must not swallow that comma, or the client's own `for=` would be believed.
        #expect(proxies.clientAddress(peer: "127.0.0.1", forwarded: "for=6.6.6.6;by=\u{600}, for=198.51.100.7", xForwardedFor: nil)
                == "198.51.100.7")
        #expect(proxies.clientAddress(peer: "127.0.0.1", forwarded: nil, xForwardedFor: "6.6.6.6\u{600}, 198.51.100.7") == "198.51.100.7")
        #expect(proxies.clientAddress(peer: "127.0.0.1", forwarded: "for=6.6.6.6\u{301},for=198.51.100.7", xForwardedFor: nil) == "198.51.100.7")
        #expect(proxies.clientAddress(peer: "127.0.0.1", forwarded: nil, xForwardedFor: nil) == "127.0.0.1")
        for bad in ["10.0.0.0/33", "300.1.1.1", "::1/129", "example.com"] {
            #expect(throws: ServiceError.self) { try TrustedProxies(parsing: bad) }
        }
    }

    /// Registered redirect URIs match by bytes (RFC 6749 §3.1.2.3), not by Swift's canonical equivalence.
    @Test func registeredRedirectsMatchByBytes() {
        let registered = ["https://app.example.org/OK/cb;v=1"]
        #expect(RedirectTarget.isListed("https://app.example.org/OK/cb;v=1", in: registered))
        for lookAlike in ["https://app.example.org/O\u{212A}/cb;v=1", "https://app.example.org/OK/cb\u{37E}v=1"] {
            #expect(lookAlike == registered[0])  // (equal as Swift strings)
            #expect(!RedirectTarget.isListed(lookAlike, in: registered))
            #expect(!RedirectTarget.same(lookAlike, registered[0]))
        }
    }

    @Test func requestedScopesArePrintableASCIISplitBySpaces() {
        #expect(Scope.requested("openid  Kb.read") == ["openid", "Kb.read"])
        #expect(Scope.requested("") == [])
        for bad in ["openid \u{212A}b.read", "openid\tprofile", "a\"b", "a\\b", "openid \u{301}profile", "x\u{7F}"] {
            #expect(Scope.requested(bad) == nil, "\(bad.debugDescription)")
        }
        // A space followed by a combining mark is still a space between two scopes (then the mark is refused).
        #expect(Scope.set("openid profile") == ["openid", "profile"])
    }

    /// An audit detail may quote request text; a NUL in it (which no store holds) is written as U+FFFD, so that the
    /// batch the event is written in is not refused whole.
    @Test func anAuditDetailKeepsNoNul() {
        let event = AuditEvent(siteID: UUID(), action: "signin", outcome: "failure", actorUserID: nil, tokenID: nil,
                               clientAddress: "127.0.0.1", detail: "user a\0b")
        #expect(event.detail == "user a\u{FFFD}b")
    }

    @Test func aUsernameWithAColonBeforeAMarkIsRefused() {
        #expect(throws: ServiceError.self) { try UserRules.validateUsername("a:\u{301}b") }
    }

    @Test func usernameKeysFoldCaseAndUnicodeForm() {
        #expect(Usernames.key("Zo\u{65}\u{308}").utf8.elementsEqual("zo\u{EB}".utf8))
        #expect(Usernames.key("ADMIN") == "admin")
        #expect(Usernames.normalised("zo\u{65}\u{308}").utf8.elementsEqual("zo\u{EB}".utf8))
        #expect(!Usernames.key("zo\u{451}").utf8.elementsEqual(Usernames.key("zo\u{EB}").utf8))
    }
}
