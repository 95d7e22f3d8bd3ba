import Foundation
import TesseraCore
import TesseraCrypto
import TesseraServer

/// JSON request bodies: the OAuth endpoints' parameters (CXoneIO.parameters, JSON or form whatever the label), the
/// deki JSON reader (DekiJSONReader, Expert's JSON bodies), a JWK Set as an application registers it
/// (ForeignVerifyingKey.keySet), and JSONValue's reader and writer.
enum JSONBodyTarget {
    static let target = FuzzTarget(name: "json-body", run: run, seeds: seeds)

    static func run(_ bytes: [UInt8]) -> Bool {
        let parameters = try? CXoneIO.parameters(body: bytes, contentType: "application/json; charset=utf-8")
        let object = JSONValue.parseObject(bytes)
        if let object {
            let text = JSONValue.object(object.map { ($0.key, $0.value) }).serialised
            invariant(sameJSON(object, JSONValue.parseObject(Array(text.utf8))), "JSON round trip: \(text.prefix(200))")
        }
        if let node = try? DekiJSONReader.parse(bytes, root: "user") {
            DekiXMLTarget.checkJSONRoundTrip(node)
        }
        let keys = ForeignVerifyingKey.keySet(bytes)
        return parameters != nil && object != nil && (keys.map { !$0.isEmpty } ?? true)
    }

    static func seeds() -> [(String, [UInt8])] {
        [
            ("token-request", #"{"grant_type":"password","username":"jane","password":"p@ss","scope":"openid","expires_in":3600,"offline":true}"#),
            ("deki-user", #"{"@id":"42","username":"jane","email":"jane@example.com","fullname":"Jane Doe","groups":{"group":[{"@id":"1","name":"a"},{"@id":"2"}]},"status":"active"}"#),
            ("jwks", #"{"keys":[{"kty":"EC","crv":"P-256","x":"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU","y":"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0","use":"sig","kid":"1"},{"kty":"RSA","n":"AQAB","e":"AQAB"}]}"#),
        ].map { ($0.0, Array($0.1.utf8)) }
    }
}
