import Foundation
import TesseraServer

/// application/x-www-form-urlencoded bodies and query strings: the token endpoint's reader (CXoneIO.form, which
/// refuses a repeated name) and the pages' reader (Page.pairs, which keeps repeats), against each other.
enum FormTarget {
    static let target = FuzzTarget(name: "form", run: run, seeds: seeds)

    /// What a form encoder leaves as it is; everything else is written %XX.
    static let unreserved = Set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~".utf8)

    static func run(_ bytes: [UInt8]) -> Bool {
        let pairs = Page.pairs(bytes)
        let form = try? CXoneIO.form(bytes)
        if let form {
            // The two readers decode alike: whatever the strict one reads, the lenient one reads the same.
            invariant(pairs != nil, "a form the token endpoint reads that the pages refuse")
            let first = Page.fields(pairs ?? [])
            invariant(first == form, "the two form readers disagree")
        }
        guard let pairs else { return false }
        invariant(!pairs.contains { $0.0.isEmpty }, "a pair with an empty name")
        // Encoded again, the pairs read back the same.
        let encoded = pairs.map { encode($0.0) + "=" + encode($0.1) }.joined(separator: "&")
        invariant(Page.pairs(Array(encoded.utf8)).map { $0.map { "\($0.0)=\($0.1)" } } == pairs.map { "\($0.0)=\($0.1)" }, "form round trip")
        return true
    }

    static func encode(_ text: String) -> String {
        var out = ""
        for byte in text.utf8 {
            if unreserved.contains(byte) { out.unicodeScalars.append(Unicode.Scalar(byte)) } else { out += String(format: "%%%02X", byte) }
        }
        return out
    }

    static func seeds() -> [(String, [UInt8])] {
        [
            ("token-request", "grant_type=authorization_code&code=SplxlOBeZQQYbYS6WxSbIA&redirect_uri=https%3A%2F%2Fapp.example%2Fcb&code_verifier=dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"),
            ("dashboard-post", "csrf=0a1b2c3d&name=Docs+bot&host=*.example.com%2C+example.org&scope=read&scope=write&note=caf%C3%A9"),
            ("empty-values", "a=&=b&&c"),
        ].map { ($0.0, Array($0.1.utf8)) }
    }
}
