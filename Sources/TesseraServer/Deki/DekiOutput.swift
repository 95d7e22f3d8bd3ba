import Foundation
import Hummingbird
import TesseraCore

/// The output formats of `/@api/deki`: XML by default, deki JSON with `?dream.out.format=json`.
enum DekiFormat {
    case xml
    case json

    /// Reads `dream.out.format`. An unsupported value is a 400, as in deki.
    static func of(_ request: Request) throws -> DekiFormat {
        switch request.uri.queryParameters["dream.out.format"].map({ $0.lowercased() }) {
        case nil, "", "xml": return .xml
        case "json": return .json
        case let other?:
            let shown = String(other.prefix(32))
            throw ServiceError.invalidInput("\(shown) output format not supported")
        }
    }

    /// The format to render an error in: like `of`, but an unsupported value falls back to XML.
    static func forError(_ request: Request) -> DekiFormat {
        (try? of(request)) ?? .xml
    }
}

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

/// Request-body reading for deki endpoints: XML or deki JSON by Content-Type, within the body cap.
enum DekiInput {
    static func document(_ request: Request, root: String) async throws -> DekiNode {
        let mediaType = request.headers[.contentType].map { $0.split(separator: ";")[0].trimmingCharacters(in: .whitespaces).lowercased() }
        let isJSON: Bool
        switch mediaType {
        case "application/xml", "text/xml": isJSON = false
        case "application/json": isJSON = true
        case nil: throw ServiceError.invalidInput("Content-Type is required: application/xml or application/json")
        case let other?: throw UnsupportedMediaType(mediaType: String(other.prefix(64)))
        }
        var buffer = try await request.body.collect(upTo: Limits.maxBodyBytes)
        let bytes = buffer.readBytes(length: buffer.readableBytes) ?? []
        guard !bytes.isEmpty else { throw ServiceError.invalidInput("request body is empty") }
        do {
            let node = isJSON ? try DekiJSONReader.parse(bytes, root: root) : try DekiXMLReader.parse(bytes)
            guard node.name == root else { throw ServiceError.invalidInput("expected a <\(root)> document") }
            return node
        } catch let error as DekiParseError {
            throw ServiceError.invalidInput(error.message)
        }
    }
}

/// A body in a format the endpoint does not read (415).
struct UnsupportedMediaType: Error {
    var mediaType: String
}
