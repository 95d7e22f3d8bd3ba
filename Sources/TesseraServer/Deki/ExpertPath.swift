/// Path segments as Expert's framework reads them. The framework decodes every path parameter once; Expert then
/// decodes a user's segment a second time (clients double-encode `=name` segments because proxies unescape slashes),
/// so `users/=jane%2540example.com` and `users/=jane%40example.com` both name `jane@example.com`. A decode turns `+`
/// into a space, `%XX` into that byte and `%uXXXX` into that UTF-16 unit, and leaves a `%` that starts no escape as it
/// is; the bytes are read as UTF-8.
enum ExpertPath {
    static func decoded(_ text: Substring) -> String {
        let units = Array(text.utf8)
        guard units.contains(UInt8(ascii: "%")) || units.contains(UInt8(ascii: "+")) else { return String(text) }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(units.count)
        var i = 0
        while i < units.count {
            let byte = units[i]
            if byte == UInt8(ascii: "+") {
                bytes.append(0x20)
            } else if byte == UInt8(ascii: "%") {
                if i + 5 < units.count, units[i + 1] | 0x20 == UInt8(ascii: "u"), let unit = hex(units[(i + 2)...(i + 5)]) {
                    let scalar = Unicode.Scalar(UInt32(unit)).map { String(Character($0)) } ?? "\u{FFFD}"
                    bytes.append(contentsOf: scalar.utf8)
                    i += 6
                    continue
                }
                if i + 2 < units.count, let value = hex(units[(i + 1)...(i + 2)]) {
                    bytes.append(UInt8(value))
                    i += 3
                    continue
                }
                bytes.append(byte)
            } else {
                bytes.append(byte)
            }
            i += 1
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Decoded twice, as Expert reads a user's segment.
    static func doubleDecoded(_ text: Substring) -> String { decoded(Substring(decoded(text))) }

    private static func hex(_ digits: ArraySlice<UInt8>) -> Int? {
        var value = 0
        for digit in digits {
            let nibble: Int
            switch digit {
            case 0x30...0x39: nibble = Int(digit - 0x30)
            case 0x41...0x46: nibble = Int(digit - 0x41 + 10)
            case 0x61...0x66: nibble = Int(digit - 0x61 + 10)
            default: return nil
            }
            value = value * 16 + nibble
        }
        return value
    }
}
