import Foundation
import TesseraCore

/// The client address behind a trusted proxy: TrustedProxies.clientAddress over `Forwarded` and `X-Forwarded-For`.
/// Input: what a client sends in the header. The harness then does what a trusted proxy does — appends its own
/// hop, the address it saw — and whatever the client wrote before it, that appended address must be the answer:
/// a client must never choose the address its sign-in failures are throttled and audited under.
enum ForwardedTarget {
    static let target = FuzzTarget(name: "forwarded", run: run, seeds: seeds)

    static let proxies = try! TrustedProxies(parsing: "127.0.0.1/32, 10.0.0.0/8")
    static let seen = "198.51.100.9"

    static func run(_ bytes: [UInt8]) -> Bool {
        let sent = bytes.text
        let peer = "127.0.0.1"
        let viaForwarded = proxies.clientAddress(peer: peer, forwarded: sent + ", for=" + seen, xForwardedFor: nil)
        invariant(viaForwarded == seen, "Forwarded: the client chose its address: \(sent.debugDescription) -> \(viaForwarded)")
        // Behind two trusted proxies (the inner one, 10.0.0.7, appended too): still the address the outer one saw.
        let twoHops = proxies.clientAddress(peer: peer, forwarded: sent + ", for=" + seen + ", for=10.0.0.7", xForwardedFor: nil)
        invariant(twoHops == seen, "Forwarded behind two proxies: \(sent.debugDescription) -> \(twoHops)")
        let viaXFF = proxies.clientAddress(peer: peer, forwarded: nil, xForwardedFor: sent + ", " + seen)
        invariant(viaXFF == seen, "X-Forwarded-For: the client chose its address: \(sent.debugDescription) -> \(viaXFF)")
        // From a peer that is no proxy, nothing the client sends is believed.
        invariant(proxies.clientAddress(peer: "203.0.113.5", forwarded: sent, xForwardedFor: sent) == "203.0.113.5", "an untrusted peer's header believed")
        // Deepest: the client's own header alone names an address that is believed.
        return proxies.clientAddress(peer: peer, forwarded: sent, xForwardedFor: nil) != peer
    }

    static func seeds() -> [(String, [UInt8])] {
        [
            ("ipv4-with-proto", "for=192.0.2.60;proto=https;by=203.0.113.43"),
            ("ipv6-quoted-port", "for=\"[2001:db8:cafe::17]:4711\""),
            ("two-elements", "for=192.0.2.43, for=198.51.100.17"),
            ("case-and-space", "For=192.0.2.61 ;host=example.com"),
        ].map { ($0.0, Array($0.1.utf8)) }
    }
}
