import Foundation
import Hummingbird
import TesseraCore

enum DekiOutput {
    /// A response with a deki document in the requested format.
    static func response(_ node: DekiNode, format: DekiFormat, status: HTTPResponse.Status = .ok) -> Response {
        switch format {
        case .xml:
            return Response(status: status, headers: [.contentType: "application/xml; charset=utf-8"],
                            body: .init(byteBuffer: ByteBuffer(string: node.xmlDocument)))
        case .json:
            return Response(status: status, headers: [.contentType: "application/json; charset=utf-8"],
                            body: .init(byteBuffer: ByteBuffer(string: node.dekiJSON)))
        case .php:
            return Response(status: status, headers: [.contentType: "application/php; charset=utf-8"],
                            body: .init(byteBuffer: ByteBuffer(string: node.phpSerialized)))
        }
    }

    /// The deki error document: `<error><status/><title/><message/><uri/></error>`. The URI is the request's
    /// path only: query strings can carry secrets (`accountpassword`) and never appear in an error.
    static func error(status: HTTPResponse.Status, message: String, request: Request, publicURL: String,
                      headers: HTTPFields = [:]) -> Response {
        let node = DekiNode("error", children: [
            DekiNode("status", text: String(status.code)),
            DekiNode("title", text: title(status)),
            DekiNode("message", text: message),
            DekiNode("uri", text: publicURL + request.uri.path),
        ])
        var response = response(node, format: DekiFormat.forError(request), status: status)
        for field in headers { response.headers.append(field) }
        return response
    }

    static func title(_ status: HTTPResponse.Status) -> String {
        switch status.code {
        case 400: "Bad Request"
        case 401: "Unauthorized"
        case 403: "Forbidden"
        case 404: "Not Found"
        case 405: "Method Not Allowed"
        case 409: "Conflict"
        case 413: "Content Too Large"
        case 415: "Unsupported Media Type"
        case 429: "Too Many Requests"
        case 503: "Service Unavailable"
        case 500: "Internal Error"
        default: status.reasonPhrase
        }
    }
}
