import Foundation

/// A host pattern of a browser or OAuth token: `example.com`, `*.example.com` (any subdomain, not the apex),
/// optionally with `:port`, and optionally with a scheme. Origins must be https unless the pattern says `http://`
/// or names a loopback host: a plain-http page anyone on the path can rewrite must not borrow the token.
public struct HostPattern: Sendable, Equatable, CustomStringConvertible {
    /// `http` or `https` when the pattern names one.
    public var scheme: String?
    public var wildcard: Bool
    public var host: String
    public var port: Int?

    public init(scheme: String? = nil, wildcard: Bool, host: String, port: Int?) {
        self.scheme = scheme
        self.wildcard = wildcard
        self.host = host
        self.port = port
    }

    public var description: String { (scheme.map { $0 + "://" } ?? "") + (wildcard ? "*." : "") + host + (port.map { ":\($0)" } ?? "") }

    public static func parse(_ raw: String) -> HostPattern? {
        var text = Hostname.trimSpaces(raw).lowercased()
        var scheme: String?
        for candidate in ["https", "http"] where text.hasPrefix(candidate + "://") {
            scheme = candidate
            text.removeFirst(candidate.count + 3)
            break
        }
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
        return HostPattern(scheme: scheme, wildcard: wildcard, host: host, port: port)
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
        if origin.scheme == "http", scheme != "http", !Self.isLoopback(origin.host) { return false }
        if scheme == "https", origin.scheme != "https" { return false }
        if let port, origin.port != port { return false }
        return wildcard ? origin.host.hasSuffix("." + host) : origin.host == host
    }

    static func isLoopback(_ host: String) -> Bool {
        host == "localhost" || host == "127.0.0.1" || host == "[::1]" || host.hasSuffix(".localhost")
    }
}
