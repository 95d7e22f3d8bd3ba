import Foundation

/// Reads a deki JSON body (the inverse of the deki mapping) into a node named `root`.
package enum DekiJSONReader {
    package static func parse(_ data: [UInt8], root: String) throws(DekiParseError) -> DekiNode {
        let object: Any
        do {
            object = try JSONSerialization.jsonObject(with: Data(data), options: [])
        } catch {
            throw DekiParseError("body is not valid JSON")
        }
        guard let dictionary = object as? [String: Any] else { throw DekiParseError("JSON body must be an object") }
        return try node(named: root, from: dictionary, depth: 1)
    }

    private static func node(named name: String, from dictionary: [String: Any], depth: Int) throws(DekiParseError) -> DekiNode {
        guard depth <= DekiXMLReader.maxDepth else { throw DekiParseError("JSON nested too deeply") }
        var node = DekiNode(name)
        for key in dictionary.keys.sorted() {
            let value = dictionary[key]!
            if key.hasPrefix("@") {
                node.attributes.append((String(key.dropFirst()), try scalar(value, key: key)))
            } else if key == "#text" {
                node.text = try scalar(value, key: key)
            } else if let items = value as? [Any] {
                for item in items { node.children.append(try child(key, item, depth: depth + 1)) }
            } else {
                node.children.append(try child(key, value, depth: depth + 1))
            }
        }
        return node
    }

    private static func child(_ name: String, _ value: Any, depth: Int) throws(DekiParseError) -> DekiNode {
        if let dictionary = value as? [String: Any] { return try node(named: name, from: dictionary, depth: depth) }
        return DekiNode(name, text: try scalar(value, key: name))
    }

    /// Deki JSON carries every value as a string; numbers and booleans are accepted and written as text.
    private static func scalar(_ value: Any, key: String) throws(DekiParseError) -> String {
        switch value {
        case let s as String: return s
        case is NSNull: return ""
        case let n as NSNumber:
            if isBoolean(n) { return n.boolValue ? "true" : "false" }
            return n.stringValue
        default: throw DekiParseError("'\(key)' must be a string")
        }
    }

    /// JSONSerialization gives NSNumber for numbers and booleans alike; a boolean has the type code "c".
    private static func isBoolean(_ n: NSNumber) -> Bool {
        String(cString: n.objCType) == "c"
    }
}
