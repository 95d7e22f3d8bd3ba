import HTTPTypes
import Hummingbird

/// Expert's framework serves a POST as another verb when the request asks: `?dream.in.verb=PUT` (the name matched
/// without case), else an `X-HTTP-Method-Override` header. MindTouch's PHP client sends every PUT this way. Only a
/// POST is overridden.
enum VerbOverride {
    static let header = HTTPField.Name("X-HTTP-Method-Override")!

    /// The verb a POST asks to be served as, if any.
    static func requested(_ request: Request) -> HTTPRequest.Method? {
        guard request.method == .post else { return nil }
        var value: Substring?
        if let query = request.uri.query, !query.isEmpty {
            value = request.uri.queryParameters.first { $0.key.lowercased() == "dream.in.verb" }?.value
        }
        guard let text = value.map(String.init) ?? request.headers[header], !text.isEmpty, text.utf8.count <= 16 else { return nil }
        return HTTPRequest.Method(text.uppercased())
    }
}
