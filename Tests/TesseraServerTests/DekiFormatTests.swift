import Foundation
import Testing
@testable import TesseraServer

@Suite struct DekiMappingTests {
    @Test func jsonMappingFollowsDekiRules() throws {
        let node = DekiNode("user", attributes: [("id", "1"), ("anonymous", "false")], children: [
            DekiNode("username", text: "zoë"),
            DekiNode("email"),
            DekiNode("tag", text: "b"),
            DekiNode("tag", text: "a"),
            DekiNode("password", attributes: [("exists", "true")]),
            DekiNode("permissions.user", children: [DekiNode("role", text: "Admin")]),
        ])
        let json = node.dekiJSON
        // Non-ASCII is escaped.
        #expect(json.contains("\"zo\\u00eb\""))
        let decoded = try #require(try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any])
        #expect(decoded["@id"] as? String == "1")
        #expect(decoded["@anonymous"] as? String == "false")
        #expect(decoded["username"] as? String == "zoë")
        #expect(decoded["email"] as? String == "")
        #expect(decoded["tag"] as? [String] == ["b", "a"])
        #expect((decoded["password"] as? [String: String]) == ["@exists": "true"])
        #expect((decoded["permissions.user"] as? [String: String]) == ["role": "Admin"])
        // Attributes first, then children in ordinal order.
        let keys = ["\"@id\"", "\"@anonymous\"", "\"email\"", "\"password\"", "\"permissions.user\"", "\"tag\"", "\"username\""]
        let positions = keys.map { json.range(of: $0)!.lowerBound }
        #expect(positions == positions.sorted())
    }

    @Test func xmlEscapesTextAndAttributes() {
        let node = DekiNode("a", attributes: [("q", "x\"<&>")], text: "1 < 2 & 3 > 2")
        #expect(node.xmlDocument.hasSuffix("<a q=\"x&quot;&lt;&amp;&gt;\">1 &lt; 2 &amp; 3 &gt; 2</a>"))
    }

    @Test func xmlRoundTripsThroughTheReader() throws {
        let node = DekiNode("user", attributes: [("id", "7")], children: [
            DekiNode("username", text: "a&b <c>"), DekiNode("email"), DekiNode("fullname", text: "Zoë \"Z\""),
        ])
        let parsed = try DekiXMLReader.parse(Array(node.xmlDocument.utf8))
        #expect(parsed.attribute("id") == "7")
        #expect(parsed.childText("username") == "a&b <c>")
        #expect(parsed.childText("email") == "")
        #expect(parsed.childText("fullname") == "Zoë \"Z\"")
    }

    @Test func readerHandlesEntitiesCdataCommentsAndIndentation() throws {
        let xml = """
        <?xml version="1.0"?>
        <!-- a comment -->
        <user id='3'>
            <username>&#98;&#x6F;b</username>
            <fullname><![CDATA[<Bob> & co]]></fullname>
            <permissions.user><role>Contributor</role></permissions.user>
        </user>
        """
        let node = try DekiXMLReader.parse(Array(xml.utf8))
        #expect(node.childText("username") == "bob")
        #expect(node.childText("fullname") == "<Bob> & co")
        #expect(node.child("permissions.user")?.childText("role") == "Contributor")
        #expect(node.text == nil)
    }

    static let malformedXML: [String] = [
        "", "   ", "not xml", "<", "<user", "<user>", "<user></users>", "<user><a></user>", "<user/><extra/>",
        "<user a=1/>", "<user a='1' a='2'/>", "<user a='1'b='2'/>", "<user a='<'/>", "<user>&bogus;</user>", "<user>&#0;</user>",
        "<user>&#x110000;</user>", "<user>&amp</user>", "<!DOCTYPE user [<!ENTITY x 'y'>]><user>&x;</user>",
        "<?xml version='1.0'?><!DOCTYPE user SYSTEM 'file:///etc/passwd'><user/>", "<user><![CDATA[x</user>",
        "<user><!-- x</user>", "<1user/>", "<user>\u{FF}</user>",
    ]

    @Test func deepOrHugeXMLIsRefused() {
        let deep = String(repeating: "<a>", count: 100) + String(repeating: "</a>", count: 100)
        let wide = "<a>" + String(repeating: "<b/>", count: 10_001) + "</a>"
        #expect(throws: DekiParseError.self) { try DekiXMLReader.parse(Array(deep.utf8)) }
        #expect(throws: DekiParseError.self) { try DekiXMLReader.parse(Array(wide.utf8)) }
    }

    @Test(arguments: malformedXML)
    func malformedXMLIsRefused(_ xml: String) {
        var bytes = Array(xml.utf8)
        if xml == "<user>\u{FF}</user>" { bytes = Array("<user>".utf8) + [0xFF, 0xFE] + Array("</user>".utf8) }
        #expect(throws: DekiParseError.self) { try DekiXMLReader.parse(bytes) }
    }

    @Test func jsonBodiesMapBackToNodes() throws {
        let body = #"{"username":"x","license.seat":true,"status":"active","permissions.user":{"role":"Viewer"},"@id":"4","n":5,"tags":["a","b"]}"#
        let node = try DekiJSONReader.parse(Array(body.utf8), root: "user")
        #expect(node.childText("username") == "x")
        #expect(node.childText("license.seat") == "true")
        #expect(node.child("permissions.user")?.childText("role") == "Viewer")
        #expect(node.attribute("id") == "4")
        #expect(node.childText("n") == "5")
        #expect(node.children.filter { $0.name == "tags" }.map { $0.text } == ["a", "b"])
    }

    @Test(arguments: ["", "[]", "\"x\"", "{", "{\"a\":}", "nul", "{\"a\":[[1]]}"])
    func malformedJSONIsRefused(_ body: String) {
        #expect(throws: DekiParseError.self) { try DekiJSONReader.parse(Array(body.utf8), root: "user") }
    }
}

@Suite struct CredentialParsingTests {
    static func basic(_ s: String) -> String { "Basic " + Data(s.utf8).base64EncodedString() }

    @Test func basicCredentialsParse() throws {
        let (u, p) = try BasicCredentials.parse(Self.basic("admin:pa:ss word"))
        #expect(u == "admin")
        #expect(p == "pa:ss word")
        let (u2, p2) = try BasicCredentials.parse("basic " + Data("bob:".utf8).base64EncodedString())
        #expect(u2 == "bob" && p2 == "")
    }

    static let malformedBasic: [String] = [
        "", "Basic", "Basic ", "Basic  abc", "Basic !!!!", "Basic " + Data("nocolon".utf8).base64EncodedString(),
        basic(":password"), basic("a\u{1}b:pw"), "Basic " + Data([0xFF, 0x3A, 0x41]).base64EncodedString(),
        "Bearer abc", "Digest username=x",
    ]

    @Test(arguments: malformedBasic)
    func malformedBasicIsRefused(_ header: String) {
        #expect(throws: (any Error).self) { try BasicCredentials.parse(header) }
    }

    @Test func oversizedBasicIsRefused() {
        #expect(throws: (any Error).self) { try BasicCredentials.parse("Basic " + String(repeating: "A", count: 9000)) }
    }

    @Test func bearerTokens() {
        #expect(CallerResolver.bearerToken("Bearer abc") == "abc")
        #expect(CallerResolver.bearerToken("bearer abc") == "abc")
        for bad in ["Bearer", "Bearer ", "Bearer  abc", "Bearer abc def", "Bearerabc", "Bearer\tabc", "Token abc", "Beaerer abc", "Bearer abc\u{0}"] {
            #expect(CallerResolver.bearerToken(bad) == nil, "\(bad.debugDescription)")
        }
    }
}
