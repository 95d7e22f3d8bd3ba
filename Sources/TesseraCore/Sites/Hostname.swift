import Foundation

/// Host-name rules shared by the site directory and the command line.
public enum Hostname {
    /// Normalises a Host header value or a configured host name: lower case, port and trailing dot removed.
    /// Returns nil for a value that is not a syntactically valid host, so that garbage never reaches a lookup.
    public static func normalise(_ raw: String) -> String? {
        let trimmed = trimSpaces(raw)
        guard !trimmed.isEmpty, trimmed.utf8.count <= 255 else { return nil }
        if trimmed.utf8.first == UInt8(ascii: "[") { return normaliseIPv6(trimmed.lowercased()) }
        // Host names are read on every request: one pass over the bytes, copying only when something changes.
        var bytes = Array(trimmed.utf8)
        var changed = false
        if let colon = bytes.lastIndex(of: UInt8(ascii: ":")) {
            guard isPort(bytes[(colon + 1)...]) else { return nil }
            bytes.removeSubrange(colon...)
            changed = true
        }
        if bytes.last == UInt8(ascii: ".") {
            bytes.removeLast()
            changed = true
        }
        var labelLength = 0
        var previous = UInt8(ascii: ".")
        for index in bytes.indices {
            var byte = bytes[index]
            if byte >= UInt8(ascii: "A"), byte <= UInt8(ascii: "Z") {
                byte |= 0x20
                bytes[index] = byte
                changed = true
            }
            if byte == UInt8(ascii: ".") {
                guard labelLength > 0, previous != UInt8(ascii: "-") else { return nil }
                labelLength = 0
            } else {
                guard isLDH(byte), labelLength > 0 || byte != UInt8(ascii: "-") else { return nil }
                labelLength += 1
                guard labelLength <= 63 else { return nil }
            }
            previous = byte
        }
        guard labelLength > 0, previous != UInt8(ascii: "-") else { return nil }
        return changed ? String(decoding: bytes, as: UTF8.self) : trimmed
    }

    /// `[literal]` optionally followed by `:port`; already lower-cased.
    private static func normaliseIPv6(_ host: String) -> String? {
        guard let close = host.firstIndex(of: "]") else { return nil }
        let rest = host.utf8[host.index(after: close)...]
        if !rest.isEmpty {
            guard rest.first == UInt8(ascii: ":"), isPort(rest.dropFirst()) else { return nil }
        }
        let inner = host[host.index(after: host.startIndex)..<close]
        guard !inner.isEmpty, inner.allSatisfy({ $0.isHexDigit || $0 == ":" || $0 == "." }) else { return nil }
        return String(host[...close])
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

    private static func isPort<Digits: Collection<UInt8>>(_ digits: Digits) -> Bool {
        guard !digits.isEmpty, digits.count <= 5 else { return false }
        var value = 0
        for digit in digits {
            guard digit >= UInt8(ascii: "0"), digit <= UInt8(ascii: "9") else { return false }
            value = value * 10 + Int(digit - UInt8(ascii: "0"))
        }
        return value <= 65535
    }

    private static func isLDH(_ c: UInt8) -> Bool {
        (c >= 0x61 && c <= 0x7A) || (c >= 0x30 && c <= 0x39) || c == 0x2D || c == 0x5F
    }
}
