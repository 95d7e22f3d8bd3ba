import Foundation

/// An HTTP(S) Origin header value, parsed by hand (it is read on every browser-token request).
public struct Origin: Sendable, Equatable {
    public var scheme: String
    public var host: String
    /// The explicit port, or the scheme's default.
    public var port: Int

    /// `http://host[:port]` or `https://host[:port]`, nothing else (no path, no user info, not "null").
    public static func parse(_ raw: String) -> Origin? {
        let bytes = raw.utf8
        let scheme: String
        if startsCaseInsensitively(bytes, with: "https://") { scheme = "https" } else if startsCaseInsensitively(bytes, with: "http://") { scheme = "http" } else { return nil }
        let rest = bytes.dropFirst(scheme.utf8.count + 3)
        guard !rest.isEmpty, rest.count <= 300,
              !rest.contains(where: { $0 == UInt8(ascii: "/") || $0 == UInt8(ascii: "@") || $0 == UInt8(ascii: "?") || $0 == UInt8(ascii: "#") })
        else { return nil }
        var hostPart = rest
        var port = scheme == "https" ? 443 : 80
        if let colon = rest.lastIndex(of: UInt8(ascii: ":")), rest.last != UInt8(ascii: "]") {
            let digits = rest[rest.index(after: colon)...]
            guard !digits.isEmpty, digits.count <= 5, let p = Int(Substring(digits)), (1...65535).contains(p) else { return nil }
            port = p
            hostPart = rest[..<colon]
        }
        guard let host = Hostname.normalise(String(Substring(hostPart))) else { return nil }
        return Origin(scheme: scheme, host: host, port: port)
    }

    /// True when `bytes` starts with `prefix` (lower-case ASCII), letters compared case-insensitively.
    private static func startsCaseInsensitively(_ bytes: String.UTF8View, with prefix: String) -> Bool {
        guard bytes.count >= prefix.utf8.count else { return false }
        for (byte, expected) in zip(bytes, prefix.utf8) {
            let folded = byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z") ? byte | 0x20 : byte
            guard folded == expected else { return false }
        }
        return true
    }
}
