/// The document as PHP's `serialize()` writes an array, as Expert's framework answers `dream.out.format=php` (the
/// default of MindTouch's PHP client library): the root element kept as the one key, attributes as "@name" in document
/// order, then the children grouped by name in ordinal order (text as "#text"), a name that occurs more than once an
/// array keyed 0, 1, …, an element with only text that text, and every value a string whose length counts UTF-8 bytes.
extension DekiNode {
    var phpSerialized: String {
        var out = "a:1:{"
        Self.writePHPString(name, into: &out)
        writePHPValue(into: &out)
        out += "}"
        return out
    }

    private func writePHPValue(into out: inout String) {
        let textValue = text ?? ""
        if attributes.isEmpty, children.isEmpty {
            Self.writePHPString(textValue, into: &out)
            return
        }
        var groups: [String: [DekiNode]] = [:]
        for child in children { groups[child.name, default: []].append(child) }
        if !textValue.isEmpty { groups["#text"] = [DekiNode("#text", text: textValue)] }
        out += "a:\(attributes.count + groups.count):{"
        for (key, value) in attributes {
            Self.writePHPString("@" + key, into: &out)
            Self.writePHPString(value, into: &out)
        }
        for key in groups.keys.sorted(by: { Array($0.utf8).lexicographicallyPrecedes(Array($1.utf8)) }) {
            let group = groups[key]!
            Self.writePHPString(key, into: &out)
            if group.count == 1 {
                group[0].writePHPValue(into: &out)
            } else {
                out += "a:\(group.count):{"
                for (index, member) in group.enumerated() {
                    out += "i:\(index);"
                    member.writePHPValue(into: &out)
                }
                out += "}"
            }
        }
        out += "}"
    }

    /// `s:LENGTH:"TEXT";` with the length in UTF-8 bytes and the text as it is (PHP reads it by length).
    private static func writePHPString(_ s: String, into out: inout String) {
        out += "s:\(s.utf8.count):\""
        out += s
        out += "\";"
    }
}
