import Foundation
import TesseraCore

/// Origins and host patterns of browser and OAuth tokens: HostPattern.parseList (the host list a token is saved
/// with), Origin.parse (every browser-token request's Origin header), HostPattern.matches, Hostname.normalise,
/// and the origin check of an application's registration. Input: the host list, a newline, the Origin.
enum OriginTarget {
    static let target = FuzzTarget(name: "origin", run: run, seeds: seeds)

    static func run(_ bytes: [UInt8]) -> Bool {
        let text = bytes.text
        let lines = text.split(separator: "\n", maxSplits: 1, omittingEmptySubsequences: false).map(String.init)
        let list = lines[0]
        let originText = lines.count > 1 ? lines[1] : list

        if let host = Hostname.normalise(list) { invariant(Hostname.normalise(host) == host, "Hostname.normalise is not idempotent: \(host)") }
        let patterns = (try? HostPattern.parseList(list)) ?? []
        for pattern in patterns {
            invariant(HostPattern.parse(pattern.description) == pattern, "host pattern round trip: \(pattern)")
        }
        _ = try? RegistrationService.checkedOrigin(originText)
        guard let origin = Origin.parse(originText) else { return false }
        invariant(origin.scheme == "http" || origin.scheme == "https", "an Origin of another scheme")
        invariant((1...65535).contains(origin.port), "an Origin's port out of range")
        invariant(Hostname.normalise(origin.host) == origin.host, "an Origin's host is not normalised: \(origin.host)")
        for pattern in patterns where pattern.matches(origin) {
            // A plain-http page matches only a pattern that says http://, or a loopback host.
            if origin.scheme == "http" {
                invariant(pattern.scheme == "http" || origin.host == "localhost" || origin.host == "127.0.0.1" || origin.host == "[::1]"
                          || origin.host.hasSuffix(".localhost"), "a plain-http Origin matched an https pattern")
            }
            if pattern.wildcard {
                invariant(origin.host.hasSuffix("." + pattern.host) && origin.host != pattern.host, "a wildcard matched outside its domain")
            } else {
                invariant(origin.host == pattern.host, "a pattern matched another host")
            }
            if let port = pattern.port { invariant(origin.port == port, "a pattern matched another port") }
        }
        return patterns.contains { $0.matches(origin) }
    }

    static func seeds() -> [(String, [UInt8])] {
        [
            ("wildcard", "*.example.com, https://docs.example.org:8443, http://localhost:3000\nhttps://app.example.com"),
            ("port", "example.com:8443\nhttps://EXAMPLE.com:8443"),
            ("loopback", "localhost\nhttp://localhost:5173"),
            ("trailing-dot", "*.example.net, localhost:8080\nhttps://a.B.example.net.:443"),
        ].map { ($0.0, Array($0.1.utf8)) }
    }
}
