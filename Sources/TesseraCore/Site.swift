import Foundation

/// A site is a tenant: every user, token and setting belongs to exactly one site.
public struct Site: Sendable, Equatable, Identifiable {
    public var id: UUID
    public var name: String
    /// Lower-case host names (no port) that route requests to this site.
    public var hostnames: [String]
    /// The site that answers requests whose Host matches no other site. Exactly one site is the default.
    public var isDefault: Bool
    /// Key of the HMAC that signs this site's auth tokens. Secret: never logged or rendered.
    public var authTokenKey: [UInt8]
    public var createdAt: Date

    public init(id: UUID, name: String, hostnames: [String], isDefault: Bool, authTokenKey: [UInt8], createdAt: Date) {
        self.id = id
        self.name = name
        self.hostnames = hostnames
        self.isDefault = isDefault
        self.authTokenKey = authTokenKey
        self.createdAt = createdAt
    }
}

/// Host-name rules shared by the site directory and the command line.
public enum Hostname {
    /// Normalises a Host header value or a configured host name: lower case, port and trailing dot removed.
    /// Returns nil for a value that is not a syntactically valid host, so that garbage never reaches a lookup.
    public static func normalise(_ raw: String) -> String? {
        var host = trimSpaces(raw).lowercased()
        guard !host.isEmpty, host.utf8.count <= 255 else { return nil }
        if host.hasPrefix("[") {
            // IPv6 literal, optionally followed by :port.
            guard let close = host.firstIndex(of: "]") else { return nil }
            let rest = host[host.index(after: close)...]
            if !rest.isEmpty {
                guard rest.hasPrefix(":"), isPort(rest.dropFirst()) else { return nil }
            }
            let inner = host[host.index(after: host.startIndex)..<close]
            guard !inner.isEmpty, inner.allSatisfy({ $0.isHexDigit || $0 == ":" || $0 == "." }) else { return nil }
            return String(host[...close])
        }
        if let colon = host.lastIndex(of: ":") {
            guard isPort(host[host.index(after: colon)...]) else { return nil }
            host = String(host[..<colon])
        }
        if host.hasSuffix(".") { host.removeLast() }
        guard !host.isEmpty else { return nil }
        let labels = host.split(separator: ".", omittingEmptySubsequences: false)
        for label in labels {
            guard !label.isEmpty, label.utf8.count <= 63,
                  label.utf8.allSatisfy({ isLDH($0) }),
                  label.first != "-", label.last != "-"
            else { return nil }
        }
        return host
    }

    /// Strips leading and trailing spaces and tabs (by hand: Foundation's trimming is slow on a hot path).
    static func trimSpaces(_ s: String) -> String {
        let bytes = s.utf8
        guard let first = bytes.firstIndex(where: { $0 != 0x20 && $0 != 0x09 }),
              let last = bytes.lastIndex(where: { $0 != 0x20 && $0 != 0x09 })
        else { return "" }
        if first == bytes.startIndex, last == bytes.index(before: bytes.endIndex) { return s }
        return String(s[first...last])
    }

    private static func isPort(_ s: Substring) -> Bool {
        guard !s.isEmpty, s.count <= 5, s.allSatisfy({ $0.isASCII && $0.isNumber }), let n = Int(s) else { return false }
        return n <= 65535
    }

    private static func isLDH(_ c: UInt8) -> Bool {
        (c >= 0x61 && c <= 0x7A) || (c >= 0x30 && c <= 0x39) || c == 0x2D || c == 0x5F
    }
}
