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

    /// Checks a logo URL and a colour as an administrator gives them.
    public static func validated(logoURL: String?, colour: String?) throws(ServiceError) -> SiteBranding {
        if let logoURL {
            guard logoURL.utf8.count <= 2048, let parts = URLComponents(string: logoURL), ["https", "http"].contains(parts.scheme?.lowercased() ?? ""),
                  parts.host?.isEmpty == false
            else { throw .invalidInput("logo must be an absolute http(s) URL") }
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
