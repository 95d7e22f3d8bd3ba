import Foundation

/// The kinds of developer token of the seeds.
public enum DeveloperTokenType: String, Sendable, CaseIterable {
    /// Signs requests with a key and secret; may carry a long-term JWT bound to a user.
    case server
    /// A public key that lets JavaScript on allowed origins call the API; no rights of its own.
    case browser
    /// An OAuth client: key = client_id, secret = client_secret, hosts = allowed redirect hosts.
    case oauth
}

/// A developer token of a site. Secrets are never stored: a server token's secret is derived from the master
/// key and `secretSalt`, an OAuth token's secret is kept only as a keyed hash.
public struct DeveloperToken: Sendable, Equatable {
    public var siteID: UUID
    /// Per-site number, shown as @id.
    public var id: Int
    public var type: DeveloperTokenType
    public var name: String
    /// The public half: 64 lower-case hex when generated, or supplied (letters, digits, '.', '-'; at most 255).
    public var key: String
    /// Host patterns (browser and OAuth tokens).
    public var hosts: [String] { didSet { hostPatterns = hosts.compactMap(HostPattern.parse) } }
    /// `hosts`, parsed once: browser tokens are matched against them on every request.
    public private(set) var hostPatterns: [HostPattern]
    /// Server tokens only: the one user the token may act as.
    public var restrictedUserID: Int?
    /// Server tokens: input of the secret's derivation.
    public var secretSalt: String?
    /// OAuth tokens: hex HMAC of the client secret under the master key.
    public var secretHash: String?
    /// Server tokens with a long-term JWT: input of the JWT key's derivation. Renewing it revokes the old JWT.
    public var jwtSalt: String?
    public var createdBy: Int
    public var createdAt: Date

    public init(siteID: UUID, id: Int, type: DeveloperTokenType, name: String, key: String, hosts: [String], restrictedUserID: Int?,
                secretSalt: String?, secretHash: String?, jwtSalt: String?, createdBy: Int, createdAt: Date) {
        self.siteID = siteID
        self.id = id
        self.type = type
        self.name = name
        self.key = key
        self.hosts = hosts
        self.hostPatterns = hosts.compactMap(HostPattern.parse)
        self.restrictedUserID = restrictedUserID
        self.secretSalt = secretSalt
        self.secretHash = secretHash
        self.jwtSalt = jwtSalt
        self.createdBy = createdBy
        self.createdAt = createdAt
    }
}

/// A host pattern of a browser or OAuth token: `example.com`, `*.example.com` (any subdomain, not the apex),
/// optionally with `:port`.
public struct HostPattern: Sendable, Equatable, CustomStringConvertible {
    public var wildcard: Bool
    public var host: String
    public var port: Int?

    public var description: String { (wildcard ? "*." : "") + host + (port.map { ":\($0)" } ?? "") }

    public static func parse(_ raw: String) -> HostPattern? {
        var text = Hostname.trimSpaces(raw).lowercased()
        var wildcard = false
        if text.hasPrefix("*.") {
            wildcard = true
            text.removeFirst(2)
        }
        var port: Int?
        if let colon = text.lastIndex(of: ":") {
            guard let p = Int(text[text.index(after: colon)...]), (1...65535).contains(p) else { return nil }
            port = p
            text = String(text[..<colon])
        }
        guard text.utf8.contains(UInt8(ascii: ".")) || text == "localhost", let host = Hostname.normalise(text), host == text, !text.hasPrefix("[") else { return nil }
        return HostPattern(wildcard: wildcard, host: host, port: port)
    }

    /// Parses a comma list; throws for any entry that is not a pattern.
    public static func parseList(_ raw: String) throws(ServiceError) -> [HostPattern] {
        let entries = raw.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        guard !entries.isEmpty, entries.count <= 50 else { throw .invalidInput("host must list 1 to 50 host names") }
        return try entries.map { entry throws(ServiceError) in
            guard let pattern = parse(entry) else { throw .invalidInput("'\(entry.prefix(100))' is not a host name or *.domain pattern") }
            return pattern
        }
    }

    /// True when an Origin (`scheme://host[:port]`) is on this pattern.
    public func matches(origin: String) -> Bool {
        Origin.parse(origin).map(matches) ?? false
    }

    public func matches(_ origin: Origin) -> Bool {
        if let port, origin.port != port { return false }
        return wildcard ? origin.host.hasSuffix("." + host) : origin.host == host
    }
}

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
