import Foundation

/// A small, strict XML reader for request bodies: elements, attributes, text, CDATA, comments and the predefined
/// and numeric entities. DOCTYPE (and so any entity definition or external reference) is refused outright, and
/// depth and element count are capped, so a body cannot make parsing expensive.
package struct DekiXMLReader {
    static let maxDepth = 32
    static let maxElements = 10_000

    private let bytes: [UInt8]
    private var index = 0
    private var elements = 0

    package static func parse(_ data: [UInt8]) throws(DekiParseError) -> DekiNode {
        var reader = DekiXMLReader(bytes: data)
        return try reader.document()
    }

    private init(bytes: [UInt8]) {
        // Skip a UTF-8 byte-order mark.
        if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { self.bytes = Array(bytes.dropFirst(3)) } else { self.bytes = bytes }
    }

    private mutating func document() throws(DekiParseError) -> DekiNode {
        try skipMisc()
        guard peek() == UInt8(ascii: "<") else { throw DekiParseError("body is not an XML document") }
        let root = try element(depth: 1)
        try skipMisc()
        guard index == bytes.count else { throw DekiParseError("unexpected content after the root element") }
        return root
    }

    /// Skips white space, the XML declaration, processing instructions and comments; refuses DOCTYPE.
    private mutating func skipMisc() throws(DekiParseError) {
        while true {
            skipSpace()
            if starts("<?") {
                try skip(past: "?>")
            } else if starts("<!--") {
                try skip(past: "-->")
            } else if starts("<!") {
                throw DekiParseError("DOCTYPE and entity declarations are not allowed")
            } else {
                return
            }
        }
    }

    private mutating func element(depth: Int) throws(DekiParseError) -> DekiNode {
        guard depth <= Self.maxDepth else { throw DekiParseError("XML nested too deeply") }
        elements += 1
        guard elements <= Self.maxElements else { throw DekiParseError("XML has too many elements") }
        index += 1 // "<"
        var node = DekiNode(try name())
        // Names seen, for the duplicate check: searching the attributes so far made an element of n attributes cost
        // n² comparisons (a 64 KiB body of 7,000 attributes kept a core busy for seconds).
        var attributeNames = Set<String>()
        while true {
            let hadSpace = skipSpace()
            guard let c = peek() else { throw DekiParseError("unexpected end of XML") }
            if c == UInt8(ascii: "/") {
                guard starts("/>") else { throw DekiParseError("malformed empty element") }
                index += 2
                return node
            }
            if c == UInt8(ascii: ">") {
                index += 1
                break
            }
            guard hadSpace else { throw DekiParseError("malformed attribute") }
            let key = try name()
            skipSpace()
            guard peek() == UInt8(ascii: "=") else { throw DekiParseError("attribute '\(key)' has no value") }
            index += 1
            skipSpace()
            guard let quote = peek(), quote == UInt8(ascii: "\"") || quote == UInt8(ascii: "'") else {
                throw DekiParseError("attribute value must be quoted")
            }
            index += 1
            let value = try text(until: quote)
            index += 1
            guard attributeNames.insert(key).inserted else { throw DekiParseError("duplicate attribute '\(key)'") }
            node.attributes.append((key, value))
        }
        var content = ""
        while true {
            guard index < bytes.count else { throw DekiParseError("element '\(node.name)' is not closed") }
            if starts("</") {
                index += 2
                let closing = try name()
                skipSpace()
                guard closing == node.name, peek() == UInt8(ascii: ">") else {
                    throw DekiParseError("mismatched closing tag '\(closing)'")
                }
                index += 1
                let trimmed = content.trimmingCharacters(in: .whitespacesAndNewlines)
                // Text beside child elements is only indentation; keep text for leaf elements.
                node.text = node.children.isEmpty ? content : (trimmed.isEmpty ? nil : trimmed)
                return node
            } else if starts("<!--") {
                try skip(past: "-->")
            } else if starts("<![CDATA[") {
                index += 9
                let start = index
                try skip(past: "]]>")
                content += try utf8(bytes[start..<(index - 3)])
            } else if starts("<!") || starts("<?") {
                throw DekiParseError("unexpected markup inside '\(node.name)'")
            } else if peek() == UInt8(ascii: "<") {
                node.children.append(try element(depth: depth + 1))
            } else {
                content += try text(until: UInt8(ascii: "<"))
            }
        }
    }

    private mutating func name() throws(DekiParseError) -> String {
        let start = index
        while let c = peek(), Self.isNameByte(c, first: index == start) { index += 1 }
        guard index > start, index - start <= 256 else { throw DekiParseError("malformed XML name") }
        return try utf8(bytes[start..<index])
    }

    private static func isNameByte(_ c: UInt8, first: Bool) -> Bool {
        switch c {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "_"), UInt8(ascii: ":"): true
        case UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "."), UInt8(ascii: "-"): !first
        default: c >= 0x80 // non-ASCII name characters
        }
    }

    /// Reads character data up to (not including) `terminator`, resolving entity and character references.
    private mutating func text(until terminator: UInt8) throws(DekiParseError) -> String {
        var out = [UInt8]()
        while let c = peek(), c != terminator {
            if c == UInt8(ascii: "&") {
                guard let semicolon = bytes[index...].prefix(12).firstIndex(of: UInt8(ascii: ";")) else {
                    throw DekiParseError("malformed entity reference")
                }
                let entity = String(decoding: bytes[(index + 1)..<semicolon], as: UTF8.self)
                out += Array(try Self.resolve(entity).utf8)
                index = semicolon + 1
            } else if c == UInt8(ascii: "<") {
                throw DekiParseError("'<' is not allowed in an attribute value")
            } else {
                out.append(c)
                index += 1
            }
        }
        guard peek() != nil else { throw DekiParseError("unexpected end of XML") }
        return try utf8(out[...])
    }

    private static func resolve(_ entity: String) throws(DekiParseError) -> String {
        switch entity {
        case "lt": return "<"
        case "gt": return ">"
        case "amp": return "&"
        case "quot": return "\""
        case "apos": return "'"
        default:
            var number: UInt32?
            if entity.hasPrefix("#x") { number = UInt32(entity.dropFirst(2), radix: 16) }
            else if entity.hasPrefix("#") { number = UInt32(entity.dropFirst(), radix: 10) }
            guard let number, let scalar = Unicode.Scalar(number), number != 0 else {
                throw DekiParseError("unknown entity '&\(entity);'")
            }
            return String(Character(scalar))
        }
    }

    private func utf8(_ slice: ArraySlice<UInt8>) throws(DekiParseError) -> String {
        guard let s = String(validating: slice, as: UTF8.self) else { throw DekiParseError("XML is not valid UTF-8") }
        return s
    }

    private func peek() -> UInt8? { index < bytes.count ? bytes[index] : nil }

    private func starts(_ s: StaticString) -> Bool {
        let count = s.utf8CodeUnitCount
        guard index + count <= bytes.count else { return false }
        return s.withUTF8Buffer { bytes[index..<(index + count)].elementsEqual($0) }
    }

    @discardableResult
    private mutating func skipSpace() -> Bool {
        let start = index
        while let c = peek(), c == 0x20 || c == 0x09 || c == 0x0A || c == 0x0D { index += 1 }
        return index > start
    }

    private mutating func skip(past terminator: StaticString) throws(DekiParseError) {
        while index < bytes.count {
            if starts(terminator) {
                index += terminator.utf8CodeUnitCount
                return
            }
            index += 1
        }
        throw DekiParseError("unexpected end of XML")
    }
}
