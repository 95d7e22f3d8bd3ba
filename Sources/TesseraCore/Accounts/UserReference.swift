import Foundation

/// How a request names a user: by numeric id or by `=username`.
public enum UserReference: Sendable, Equatable {
    case id(Int)
    case username(String)

    /// A segment already decoded: digits, or `=` followed by a username.
    public static func parse(decoded text: String) -> UserReference? {
        if text.hasPrefix("=") {
            let name = String(text.dropFirst())
            return name.isEmpty ? nil : .username(name)
        }
        guard !text.isEmpty, text.count <= 10, text.allSatisfy({ $0.isASCII && $0.isNumber }), let id = Int(text) else { return nil }
        return .id(id)
    }

    /// Parses a segment: digits, or `=` followed by a (percent-decoded) username.
    public static func parse(_ segment: String) -> UserReference? {
        if segment.hasPrefix("=") {
            let name = String(segment.dropFirst())
            let decoded = name.utf8.contains(UInt8(ascii: "%")) ? name.removingPercentEncoding ?? name : name
            return decoded.isEmpty ? nil : .username(decoded)
        }
        guard !segment.isEmpty, segment.count <= 10, segment.allSatisfy({ $0.isASCII && $0.isNumber }), let id = Int(segment) else {
            return nil
        }
        return .id(id)
    }
}
