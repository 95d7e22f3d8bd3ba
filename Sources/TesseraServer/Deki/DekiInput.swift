import Foundation
import Hummingbird
import TesseraCore

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
