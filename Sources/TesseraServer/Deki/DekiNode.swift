/// An element of a deki document: the XML shape every `/@api/deki` response is built as, and the shape
/// request bodies (XML or deki JSON) are read into. Rendering to XML or to deki JSON happens in one place.
package struct DekiNode: Sendable, Equatable {
    package var name: String
    package var attributes: [(String, String)]
    package var children: [DekiNode]
    package var text: String?

    init(_ name: String, attributes: [(String, String)] = [], text: String? = nil, children: [DekiNode] = []) {
        self.name = name
        self.attributes = attributes
        self.children = children
        self.text = text
    }

    package static func == (a: DekiNode, b: DekiNode) -> Bool {
        a.name == b.name && a.text == b.text && a.children == b.children
            && a.attributes.map(\.0) == b.attributes.map(\.0) && a.attributes.map(\.1) == b.attributes.map(\.1)
    }

    func attribute(_ name: String) -> String? { attributes.first { $0.0 == name }?.1 }
    func child(_ name: String) -> DekiNode? { children.first { $0.name == name } }
    /// Text of the first child with that name ("" for an empty element), nil when absent.
    func childText(_ name: String) -> String? { child(name).map { $0.text ?? "" } }

    // MARK: XML

    /// The document as XML with a declaration.
    package var xmlDocument: String {
        var out = "<?xml version=\"1.0\" encoding=\"utf-8\"?>"
        writeXML(into: &out)
        return out
    }

    private func writeXML(into out: inout String) {
        out += "<" + name
        for (key, value) in attributes { out += " \(key)=\"\(Self.escape(value, quote: true))\"" }
        if children.isEmpty, (text ?? "").isEmpty {
            out += " />"
            return
        }
        out += ">"
        if let text { out += Self.escape(text, quote: false) }
        for child in children { child.writeXML(into: &out) }
        out += "</\(name)>"
    }

    private static func escape(_ s: String, quote: Bool) -> String {
        // Most values need no escaping: check the bytes once and return the string as it is.
        if s.utf8.allSatisfy({ $0 >= 0x20 && $0 != 0x26 && $0 != 0x3C && $0 != 0x3E && $0 != 0x22 }) { return s }
        var out = ""
        out.reserveCapacity(s.utf8.count)
        for scalar in s.unicodeScalars {
            switch scalar {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"" where quote: out += "&quot;"
            case "\n" where quote: out += "&#10;"
            default:
                // Control characters are not allowed in XML 1.0; drop them rather than emit an invalid document.
                if scalar.value < 0x20, scalar != "\n", scalar != "\t", scalar != "\r" { continue }
                out.unicodeScalars.append(scalar)
            }
        }
        return out
    }

    // MARK: deki JSON

    /// The document in deki's JSON mapping: the root element dropped, attributes as "@name", text as "#text",
    /// every value a string, a single child an object and repeated children an array, an empty element "".
    /// Attributes come first in document order, then children sorted by name (ordinal).
    package var dekiJSON: String {
        var out = ""
        Self.writeJSON(jsonValue, into: &out)
        return out
    }

    private indirect enum JSONValue {
        case string(String)
        case array([JSONValue])
        case object([(String, JSONValue)])
    }

    private var jsonValue: JSONValue {
        let textValue = text ?? ""
        if attributes.isEmpty, children.isEmpty { return .string(textValue) }
        var members: [(String, JSONValue)] = attributes.map { ("@" + $0.0, .string($0.1)) }
        var groups: [String: [DekiNode]] = [:]
        for child in children { groups[child.name, default: []].append(child) }
        for key in groups.keys.sorted(by: { Array($0.utf8).lexicographicallyPrecedes(Array($1.utf8)) }) {
            let group = groups[key]!
            members.append((key, group.count == 1 ? group[0].jsonValue : .array(group.map(\.jsonValue))))
        }
        if !textValue.isEmpty { members.append(("#text", .string(textValue))) }
        return .object(members)
    }

    private static func writeJSON(_ value: JSONValue, into out: inout String) {
        switch value {
        case .string(let s): writeJSONString(s, into: &out)
        case .array(let items):
            out += "["
            for (i, item) in items.enumerated() {
                if i > 0 { out += "," }
                writeJSON(item, into: &out)
            }
            out += "]"
        case .object(let members):
            out += "{"
            for (i, (key, item)) in members.enumerated() {
                if i > 0 { out += "," }
                writeJSONString(key, into: &out)
                out += ":"
                writeJSON(item, into: &out)
            }
            out += "}"
        }
    }

    /// JSON string with non-ASCII escaped as \uXXXX, as deki does.
    static func writeJSONString(_ s: String, into out: inout String) {
        out += "\""
        // Printable ASCII without quote or backslash is written as it is.
        if s.utf8.allSatisfy({ $0 >= 0x20 && $0 < 0x7F && $0 != 0x22 && $0 != 0x5C }) {
            out += s
            out += "\""
            return
        }
        for unit in s.utf16 {
            switch unit {
            case 0x22: out += "\\\""
            case 0x5C: out += "\\\\"
            case 0x0A: out += "\\n"
            case 0x0D: out += "\\r"
            case 0x09: out += "\\t"
            case 0x20..<0x7F: out.unicodeScalars.append(Unicode.Scalar(unit)!)
            default:
                let hex = String(unit, radix: 16)
                out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            }
        }
        out += "\""
    }
}
