import Foundation
import TesseraServer

/// The deki XML reader (DekiXMLReader, every Expert XML request body), checked against the writer the responses use.
enum DekiXMLTarget {
    static let target = FuzzTarget(name: "deki-xml", run: run, seeds: seeds)

    static func run(_ bytes: [UInt8]) -> Bool {
        guard let node = try? DekiXMLReader.parse(bytes) else { return false }
        checkXMLRoundTrip(node)
        checkJSONRoundTrip(node)
        return true
    }

    /// What the XML writer produces the reader reads, and a second trip changes nothing. (The first trip may: the
    /// writer drops control characters and writes an element whose text is empty as `<x />`.) Only for a node read
    /// from XML: one read from JSON may have names XML cannot carry, and is never written back as XML.
    static func checkXMLRoundTrip(_ node: DekiNode) {
        do {
            let once = try DekiXMLReader.parse(Array(node.xmlDocument.utf8))
            let twice = try DekiXMLReader.parse(Array(once.xmlDocument.utf8))
            invariant(once.xmlDocument == twice.xmlDocument, "XML writer and reader do not settle: \(once.xmlDocument.prefix(200))")
        } catch {
            fatalError("invariant failed: the XML reader refuses the writer's document (\(error)): \(node.xmlDocument.prefix(200))")
        }
    }

    /// The same for deki JSON, whose document is an object only when the root has attributes or children (a bare
    /// root is written as a string, which no request body is).
    static func checkJSONRoundTrip(_ node: DekiNode) {
        guard !node.attributes.isEmpty || !node.children.isEmpty else { return }
        do {
            let once = try DekiJSONReader.parse(Array(node.dekiJSON.utf8), root: node.name)
            let twice = try DekiJSONReader.parse(Array(once.dekiJSON.utf8), root: node.name)
            invariant(once.dekiJSON == twice.dekiJSON, "deki JSON writer and reader do not settle: \(once.dekiJSON.prefix(200))")
        } catch {
            fatalError("invariant failed: the deki JSON reader refuses the writer's document (\(error)): \(node.dekiJSON.prefix(200))")
        }
    }

    static func seeds() -> [(String, [UInt8])] {
        [
            ("user", #"<?xml version="1.0" encoding="utf-8"?><user id="42"><username>jane</username><email>jane@example.com</email><fullname>Jane &amp; Joe &#233;&#x263A;</fullname><status>active</status><permissions.user><role>Contributor</role></permissions.user></user>"#),
            ("token", "<developer-token type=\"server\">\n  <!-- a comment -->\n  <name><![CDATA[Docs <bot>]]></name>\n  <host>*.example.com</host>\n  <user-id/>\n</developer-token>"),
        ].map { ($0.0, Array($0.1.utf8)) }
    }
}
