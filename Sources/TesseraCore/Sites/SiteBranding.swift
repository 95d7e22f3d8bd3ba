import Foundation

/// How a site presents itself on the sign-in page (`tenantId` branding).
public struct SiteBranding: Sendable, Equatable {
    /// An https (or http) URL of an image; nil: none.
    public var logoURL: String?
    /// `#rrggbb`; nil: the default.
    public var colour: String?

    public init(logoURL: String? = nil, colour: String? = nil) {
        self.logoURL = logoURL
        self.colour = colour
    }

    /// `scheme://host[:port]` of the logo, for a page's `img-src`: nil unless the URL is http(s) and its host is plain
    /// letters, digits, '.', '-' (or an IP literal) — the origin goes into a header, where anything else could add
    /// directives.
    public var logoOrigin: String? { logoURL.flatMap(Self.origin(of:)) }

    static func origin(of url: String) -> String? {
        guard let parts = URLComponents(string: url), let scheme = parts.scheme?.lowercased(), scheme == "https" || scheme == "http",
              let host = parts.percentEncodedHost, !host.isEmpty, host.utf8.count <= 253 else { return nil }
        let plain = host.utf8.allSatisfy { ($0 >= 0x30 && $0 <= 0x39) || ($0 >= 0x41 && $0 <= 0x5A) || ($0 >= 0x61 && $0 <= 0x7A) || $0 == 0x2E || $0 == 0x2D }
        let ipv6 = host.hasPrefix("[") && host.hasSuffix("]")
            && host.utf8.dropFirst().dropLast().allSatisfy { ($0 >= 0x30 && $0 <= 0x3A) || ($0 >= 0x41 && $0 <= 0x46) || ($0 >= 0x61 && $0 <= 0x66) || $0 == 0x2E }
        guard plain || ipv6 else { return nil }
        return "\(scheme)://\(host.lowercased())\(parts.port.map { ":\($0)" } ?? "")"
    }

    /// Checks a logo URL and a colour as an administrator gives them.
    public static func validated(logoURL: String?, colour: String?) throws(ServiceError) -> SiteBranding {
        if let logoURL {
            guard logoURL.utf8.count <= 2048, Self.origin(of: logoURL) != nil else {
                throw .invalidInput("logo must be an absolute http(s) URL whose host is a name or an IP address")
            }
        }
        if let colour {
            let digits = colour.utf8.dropFirst()
            guard colour.utf8.first == UInt8(ascii: "#"), digits.count == 6,
                  digits.allSatisfy({ ($0 >= 0x30 && $0 <= 0x39) || ($0 >= 0x61 && $0 <= 0x66) || ($0 >= 0x41 && $0 <= 0x46) })
            else { throw .invalidInput("colour must be #rrggbb") }
        }
        return SiteBranding(logoURL: logoURL, colour: colour?.lowercased())
    }
}
