import Foundation

/// The peers whose `Forwarded` / `X-Forwarded-For` headers are believed (`--trusted-proxies CIDR,...`). From any
/// other peer those headers are ignored, so a client cannot choose the address its sign-in failures count against.
public struct TrustedProxies: Sendable, Equatable {
    /// An IPv4 or IPv6 network.
    struct Network: Sendable, Equatable {
        var address: [UInt8]
        var prefix: Int

        func contains(_ other: [UInt8]) -> Bool {
            guard other.count == address.count else { return false }
            var bits = prefix
            for (a, b) in zip(address, other) {
                if bits <= 0 { return true }
                let mask: UInt8 = bits >= 8 ? 0xFF : UInt8(truncatingIfNeeded: 0xFF << (8 - bits))
                if a & mask != b & mask { return false }
                bits -= 8
            }
            return true
        }
    }

    var networks: [Network]

    public init() { networks = [] }

    /// Parses `10.0.0.0/8,127.0.0.1,::1/128`; throws for an entry that is not an address or network.
    public init(parsing list: String) throws(ServiceError) {
        networks = []
        for entry in list.split(separator: ",").map({ $0.trimmingCharacters(in: .whitespaces) }) where !entry.isEmpty {
            let parts = entry.split(separator: "/", maxSplits: 1).map(String.init)
            guard let address = Self.address(parts[0]) else { throw .invalidInput("'\(entry.prefix(64))' is not an address or CIDR network") }
            let prefix = parts.count == 2 ? Int(parts[1]) : address.count * 8
            guard let prefix, (0...(address.count * 8)).contains(prefix) else { throw .invalidInput("'\(entry.prefix(64))' has a bad prefix length") }
            networks.append(Network(address: address, prefix: prefix))
        }
    }

    public var isEmpty: Bool { networks.isEmpty }

    public func trusts(_ address: String) -> Bool {
        guard let bytes = Self.address(address) else { return false }
        return networks.contains { $0.contains(bytes) }
    }

    /// The client's address: the peer's, unless the peer is a trusted proxy, in which case the nearest address in
    /// `Forwarded: for=` (else `X-Forwarded-For`) that is not itself a trusted proxy.
    public func clientAddress(peer: String, forwarded: String?, xForwardedFor: String?) -> String {
        guard trusts(peer) else { return peer }
        // Split by byte, as the proxy that appended its hop wrote it: as Swift characters, a `,` after a prepended
        // mark (U+0600 and its kind join the character that follows) is no delimiter, and the client's own
        // `for=` would swallow the hop the proxy appended.
        let hops: [String]
        if let forwarded {
            hops = Self.fields(forwarded, by: ",").compactMap { element in
                Self.fields(element, by: ";").first { $0.lowercased().hasPrefix("for=") }
                    .map { Self.stripForwardedNode(String($0.dropFirst(4))) }
            }
        } else if let xForwardedFor {
            hops = Self.fields(xForwardedFor, by: ",")
        } else {
            return peer
        }
        for hop in hops.reversed() {
            guard Self.address(hop) != nil else { return peer }  // garbage: believe nothing
            if !trusts(hop) { return hop }
        }
        return hops.first ?? peer
    }

    /// The fields of a header list split at each `separator` byte, spaces and tabs around each trimmed.
    static func fields(_ text: String, by separator: Character) -> [String] {
        let byte = separator.asciiValue!
        return text.utf8.split(separator: byte, omittingEmptySubsequences: false).map { field in
            let blank: (UInt8) -> Bool = { $0 == UInt8(ascii: " ") || $0 == UInt8(ascii: "\t") }
            return String(decoding: field.drop(while: blank).reversed().drop(while: blank).reversed(), as: UTF8.self)
        }
    }

    /// `"[2001:db8::1]:4711"` → `2001:db8::1`; `192.0.2.60:80` → `192.0.2.60`.
    static func stripForwardedNode(_ raw: String) -> String {
        var node = raw.trimmingCharacters(in: CharacterSet(charactersIn: "\""))
        if node.hasPrefix("["), let close = node.firstIndex(of: "]") { return String(node[node.index(after: node.startIndex)..<close]) }
        if node.filter({ $0 == ":" }).count == 1, let colon = node.firstIndex(of: ":") { node = String(node[..<colon]) }
        return node
    }

    /// IPv4 (4 bytes) or IPv6 (16 bytes), from text.
    static func address(_ text: String) -> [UInt8]? {
        var v4 = in_addr()
        if inet_pton(AF_INET, text, &v4) == 1 { return withUnsafeBytes(of: &v4) { Array($0) } }
        var v6 = in6_addr()
        if inet_pton(AF_INET6, text, &v6) == 1 { return withUnsafeBytes(of: &v6) { Array($0) } }
        return nil
    }
}
