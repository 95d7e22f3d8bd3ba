import Foundation
import TesseraServer

/// HTTP Basic credentials: BasicCredentials.parse (sign-in, introspection), then the form decoding the token
/// endpoint applies to each part (CXoneIO.formDecode, RFC 6749 §2.3.1).
enum BasicTarget {
    static let target = FuzzTarget(name: "basic", run: run, seeds: seeds)

    static func run(_ bytes: [UInt8]) -> Bool {
        guard let (username, password) = try? BasicCredentials.parse(bytes.text) else { return false }
        invariant(!username.isEmpty && !username.utf8.contains(UInt8(ascii: ":")), "a Basic username that is empty or holds ':'")
        invariant(!(username + password).utf8.contains { $0 < 0x20 || $0 == 0x7F }, "control characters passed in Basic credentials")
        // Encoding what was read and reading it again gives the same pair.
        let again = try? BasicCredentials.parse("Basic " + Data("\(username):\(password)".utf8).base64EncodedString())
        invariant(again?.username == username && again?.password == password, "Basic round trip")
        _ = CXoneIO.formDecode(ArraySlice(username.utf8))
        _ = CXoneIO.formDecode(ArraySlice(password.utf8))
        return true
    }

    static func seeds() -> [(String, [UInt8])] {
        [
            ("user-password", "Basic " + Data("admin:correct horse battery staple".utf8).base64EncodedString()),
            ("client-credentials", "basic " + Data("my%20client:s3cr%2Bt".utf8).base64EncodedString()),
            ("padding-two", "Basic " + Data("ab:c".utf8).base64EncodedString()),
        ].map { ($0.0, Array($0.1.utf8)) }
    }
}
