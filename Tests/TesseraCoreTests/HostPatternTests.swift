import Testing
import TesseraCore

@Suite struct HostPatternTests {
    @Test(arguments: [
        ("app.example.com", "https://app.example.com", true),
        // Plain http only where the pattern says so, or on a loopback host.
        ("app.example.com", "http://APP.example.com", false),
        ("http://app.example.com", "http://app.example.com", true),
        ("https://app.example.com", "http://app.example.com", false),
        ("https://app.example.com", "https://app.example.com", true),
        ("localhost", "http://localhost", true),
        ("*.example.com", "http://a.example.com", false),
        ("app.example.com", "https://app.example.com:8443", true),
        ("app.example.com:8443", "https://app.example.com:8443", true),
        ("app.example.com:8443", "https://app.example.com", false),
        ("*.example.com", "https://a.b.example.com", true),
        ("*.example.com", "https://example.com", false),
        ("*.example.com", "https://evilexample.com", false),
        ("app.example.com", "https://app.example.com.evil.net", false),
        ("app.example.com", "https://app.example.com/path", false),
        ("app.example.com", "null", false),
        ("app.example.com", "ftp://app.example.com", false),
        ("localhost:3000", "http://localhost:3000", true),
        ("app.example.com", "HtTpS://App.Example.Com", true),
        ("app.example.com", "https://app.example.com.", true),
        ("app.example.com", "https:/app.example.com", false),
        ("app.example.com", "https\u{1A}//app.example.com", false),
        ("app.example.com", "https://user@app.example.com", false),
        ("app.example.com", "https://app.example.com:", false),
        ("app.example.com", "https://app.example.com:65536", false),
        ("app.example.com", "https://", false),
        ("localhost", "http://[::1]", false),
    ])
    func matching(_ pattern: String, _ origin: String, _ expected: Bool) throws {
        let parsed = try #require(HostPattern.parse(pattern))
        #expect(parsed.matches(origin: origin) == expected)
    }

    @Test(arguments: ["", "*", "*.", "**.example.com", "exa mple.com", "example", "a.*.com", "ftp://example.com", "https://", "example.com:0", "example.com:x", "[::1]"])
    func invalidPatterns(_ raw: String) {
        #expect(HostPattern.parse(raw) == nil)
    }

    @Test func lists() throws {
        #expect(try HostPattern.parseList("a.example.com, *.b.example.com").map(\.description) == ["a.example.com", "*.b.example.com"])
        #expect(throws: ServiceError.self) { try HostPattern.parseList("") }
        #expect(throws: ServiceError.self) { try HostPattern.parseList("a.example.com,bad host") }
    }
}
