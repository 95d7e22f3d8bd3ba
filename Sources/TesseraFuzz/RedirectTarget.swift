import Foundation
import TesseraCore
import TesseraServer

/// Redirect URIs: RedirectTarget.isClean (every redirect parameter), the registration check of an application's
/// redirect URIs (RegistrationService.checkedURIs), an OAuth API token's redirect check against its host patterns
/// (OAuthClient.isOnHosts), and sign-in's `redirect=` (UsersRoutes.safeRedirect). Each acceptance is checked
/// against where a browser would go: the host as a WHATWG URL parser finds it, which is what an open redirect is made of.
enum RedirectURITarget {
    static let target = FuzzTarget(name: "redirect-uri", run: run, seeds: seeds)

    static let publicURL = "https://tessera.fuzz"
    static let siteHosts = ["docs.example.com", "wiki.example.org"]
    static let tokenHosts = [HostPattern(wildcard: true, host: "example.com", port: nil), HostPattern(wildcard: false, host: "localhost", port: nil)]

    static func run(_ bytes: [UInt8]) -> Bool {
        let uri = bytes.text
        let clean = RedirectTarget.isClean(uri)
        var accepted = false
        if (try? RegistrationService.checkedURIs([uri], what: "redirect URI")) != nil {
            accepted = true
            invariant(clean, "a registered redirect URI that is not clean")
            // (A URL a browser cannot read at all goes nowhere: only one it reads is checked.)
            if let host = browserHost(uri) {
                invariant(host.scheme == "https" || RegistrationService.isLoopback(host.host),
                          "a redirect URI accepted that a browser reads as plain http off loopback: \(uri) -> \(host)")
            }
        }
        if OAuthClient.isOnHosts(uri, tokenHosts) {
            accepted = true
            // The patterns are *.example.com and localhost: where the browser goes must be under one of them. (Not
            // HostPattern.matches, which reads the host as an Origin header and refuses a host DNS would take, such
            // as `a,b.example.com`: that is still under the pattern's domain.)
            if let host = browserHost(uri) {
                invariant(host.host.hasSuffix(".example.com") || host.host == "localhost",
                          "a redirect accepted to a host off the token's patterns: \(uri) -> \(host)")
                invariant(host.scheme == "https" || RegistrationService.isLoopback(host.host), "a plain-http redirect off loopback: \(uri)")
            }
        }
        if let target = try? UsersRoutes.safeRedirect(uri, publicURL: publicURL, hostnames: siteHosts) {
            accepted = true
            invariant(clean, "a sign-in redirect that is not clean")
            // A browser reads `/x` as a path on this site and `//host` as a host with this site's scheme (by code
            // point: `//` then a combining mark is still `//`).
            let scalars = Array(target.unicodeScalars.prefix(2))
            if !(scalars.first == "/" && scalars.dropFirst().first != "/") {
                if let host = browserHost(scalars == ["/", "/"] ? "https:" + target : target) {
                    invariant(host.host == "tessera.fuzz" || siteHosts.contains(host.host), "a sign-in redirect leaves the site: \(target) -> \(host)")
                }
            }
        }
        _ = AuthorizeService.appendingQuery(to: uri, [("code", "c"), ("state", uri)])
        return accepted
    }

    /// The scheme, host and port a browser takes from an absolute http(s) URL (WHATWG URL for special schemes, in
    /// the part that decides the host): any run of `/` and `\` after the scheme, the authority up to `/`, `\`, `?`
    /// or `#`, user info up to the last `@` dropped, the host percent-decoded and lower-cased, one trailing dot dropped.
    /// Read by code point, as a browser reads a URL: a `/` followed by a combining mark is still a `/` (as Swift
    /// characters the two would be one grapheme, and the authority would run on past it).
    static func browserHost(_ uri: String) -> (scheme: String, host: String, port: Int)? {
        let scalars = uri.unicodeScalars
        guard let colon = scalars.firstIndex(of: ":") else { return nil }
        let scheme = String(scalars[..<colon]).lowercased()
        guard scheme == "http" || scheme == "https" else { return nil }
        let afterScheme = scalars[scalars.index(after: colon)...].drop { $0 == "/" || $0 == "\\" }
        let authority = afterScheme.prefix { !"/\\?#".unicodeScalars.contains($0) }
        let hostAndPort = authority.lastIndex(of: "@").map { authority[authority.index(after: $0)...] } ?? authority
        var host = hostAndPort
        var port = scheme == "https" ? 443 : 80
        if let portColon = hostAndPort.lastIndex(of: ":"), !hostAndPort[portColon...].contains("]") {
            host = hostAndPort[..<portColon]
            let digits = String(hostAndPort[hostAndPort.index(after: portColon)...])
            if !digits.isEmpty {
                guard let value = Int(digits), (0...65535).contains(value) else { return nil }
                port = value
            }
        }
        guard var decoded = String(host).removingPercentEncoding?.lowercased(), !decoded.isEmpty else { return nil }
        if decoded.hasSuffix(".") { decoded.removeLast() }
        return (scheme, decoded, port)
    }

    static func seeds() -> [(String, [UInt8])] {
        [
            ("registered", "https://app.example/cb?x=1"),
            ("loopback", "http://127.0.0.1:8400/callback"),
            ("token-host", "https://api.example.com/oauth/done"),
            ("sign-in-path", "/Special:Home?tab=1"),
            ("sign-in-absolute", "https://docs.example.com/Guide#top"),
        ].map { ($0.0, Array($0.1.utf8)) }
    }
}
