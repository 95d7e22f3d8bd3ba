import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import TesseraCore
import TesseraCrypto

/// Reading and writing the CXone wire format: JSON answers, OAuth error bodies, and request bodies that may be
/// JSON or form-encoded whatever their declared content type (NICE's own SDK posts form bodies labelled
/// application/json).
package enum CXoneIO {
    /// RFC 6749 §5.1: token answers must not be cached.
    static let noStore: HTTPFields = [.cacheControl: "no-store", HTTPField.Name("Pragma")!: "no-cache"]

    static func json(_ members: [(String, JSONValue)], status: HTTPResponse.Status = .ok, headers: HTTPFields = [:]) -> Response {
        var fields = headers
        fields[.contentType] = "application/json; charset=utf-8"
        return Response(status: status, headers: fields, body: .init(byteBuffer: ByteBuffer(string: JSONValue.serialise(members))))
    }

    /// `{"error", "error_description"}` (RFC 6749 §5.2), with NICE's camel-case `errorDescription` beside it.
    static func error(_ status: HTTPResponse.Status, code: String, description: String, headers: HTTPFields = [:]) -> Response {
        var fields = noStore
        fields.append(contentsOf: headers)
        return json([("error", .string(code)), ("error_description", .string(description)), ("errorDescription", .string(description))],
                    status: status, headers: fields)
    }

    static func tokenResponse(_ tokens: IssuedTokens) -> Response {
        var members: [(String, JSONValue)] = [
            ("access_token", .string(tokens.accessToken)), ("token_type", .string("Bearer")), ("expires_in", int(tokens.expiresIn)),
        ]
        if let refresh = tokens.refreshToken {
            members += [("refresh_token", .string(refresh)), ("refresh_token_expires_in", int(tokens.refreshExpiresIn))]
        }
        // Every answer says what it issued (CXone's token schema has the field; RFC 8693 needs it for exchanges).
        members.append(("issued_token_type", .string(tokens.issuedTokenType ?? TokenExchangeGrant.accessTokenType)))
        if tokens.issuedTokenType == nil {
            members.append(("id_token", .string(tokens.idToken)))
        } else if let scope = tokens.scope {
            // An exchange's scope may be narrower than asked (RFC 8693 §2.2.1).
            members.append(("scope", .string(scope)))
        }
        return json(members, headers: noStore)
    }

    static func int(_ value: some BinaryInteger) -> JSONValue { .number(Double(value)) }

    /// A client's request to an OAuth endpoint: its Basic credentials and its body's parameters.
    static func tokenRequest(_ request: Request, _ context: TesseraContext, endpointURL: String) async throws -> TokenRequest {
        let basic = try basicCredentials(request)
        return TokenRequest(parameters: try await parameters(request), basic: basic, endpointURL: endpointURL, clientAddress: context.clientAddress)
    }

    /// The parameters of a body: a JSON object (strings, numbers and booleans as text) or a form. A parameter
    /// given twice is refused (RFC 6749 §3.2).
    static func parameters(_ request: Request) async throws -> [String: String] {
        var buffer = try await request.body.collect(upTo: Limits.maxBodyBytes)
        return try parameters(body: buffer.readBytes(length: buffer.readableBytes) ?? [], contentType: request.headers[.contentType])
    }

    /// The parameters of a body already read, by its Content-Type (the bytes and the header are all it depends on).
    package static func parameters(body bytes: [UInt8], contentType: String?) throws -> [String: String] {
        let mediaType = contentType.map(Self.mediaType)
        switch mediaType {
        case nil, "application/json", "application/x-www-form-urlencoded", "text/plain": break
        case let other?: throw UnsupportedMediaType(mediaType: String(other.prefix(64)))
        }
        let firstVisible = bytes.first { $0 != 0x20 && $0 != 0x09 && $0 != 0x0A && $0 != 0x0D }
        if firstVisible == UInt8(ascii: "{") {
            guard let object = JSONValue.parseObject(bytes) else { throw ServiceError.invalidInput("the body is not valid JSON") }
            return object.compactMapValues { value in
                switch value {
                case .string(let s): s
                case .number(let n): n.rounded() == n && abs(n) < 1e15 ? String(Int64(n)) : String(n)
                case .bool(let b): b ? "true" : "false"
                default: nil
                }
            }
        }
        return try form(bytes)
    }

    /// The media type of a Content-Type value, lower case, without parameters or surrounding spaces (on bytes:
    /// Foundation's trimming showed in profiles of the introspection endpoint).
    package static func mediaType(_ contentType: String) -> String {
        let bytes = contentType.utf8.prefix { $0 != UInt8(ascii: ";") }
        let trimmed = bytes.drop { $0 == 0x20 || $0 == 0x09 }.reversed().drop { $0 == 0x20 || $0 == 0x09 }.reversed()
        return String(decoding: trimmed.map { $0 >= 0x41 && $0 <= 0x5A ? $0 | 0x20 : $0 }, as: UTF8.self)
    }

    /// application/x-www-form-urlencoded: `+` is a space, `%XX` a byte; invalid escapes are refused. (Index loops
    /// rather than `split`: this runs on every token, introspection and revocation request, and showed in profiles.)
    package static func form(_ bytes: [UInt8]) throws -> [String: String] {
        var result: [String: String] = [:]
        var start = bytes.startIndex
        while start < bytes.endIndex {
            let end = bytes[start...].firstIndex(of: UInt8(ascii: "&")) ?? bytes.endIndex
            defer { start = end + 1 }
            guard start < end else { continue }
            let pair = bytes[start..<end]
            let equals = pair.firstIndex(of: UInt8(ascii: "="))
            guard let name = formDecode(pair[..<(equals ?? end)]), let value = formDecode(equals.map { pair[($0 + 1)...] } ?? [])
            else { throw ServiceError.invalidInput("the body is neither JSON nor a valid form") }
            guard !name.isEmpty else { continue }
            guard result[name] == nil else { throw ServiceError.invalidInput("parameter \(name.prefix(64)) is given more than once") }
            result[name] = value
        }
        return result
    }

    /// One form-encoded name or value, or nil for a bad `%` escape or bytes that are not UTF-8.
    package static func formDecode(_ bytes: ArraySlice<UInt8>) -> String? {
        // Most values (tokens, ids, grant types) have nothing to decode.
        guard bytes.contains(where: { $0 == UInt8(ascii: "+") || $0 == UInt8(ascii: "%") }) else {
            return String(validating: bytes, as: UTF8.self)
        }
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count)
        var index = bytes.startIndex
        while index < bytes.endIndex {
            let byte = bytes[index]
            if byte == UInt8(ascii: "+") {
                out.append(0x20)
            } else if byte == UInt8(ascii: "%") {
                guard index + 2 < bytes.endIndex, let high = Secrets.nibble(bytes[index + 1]), let low = Secrets.nibble(bytes[index + 2]) else { return nil }
                out.append(high << 4 | low)
                index += 2
            } else {
                out.append(byte)
            }
            index += 1
        }
        return String(validating: out, as: UTF8.self)
    }

    /// `Authorization: Basic base64(id:secret)`, each part form-decoded (RFC 6749 §2.3.1). nil when there is
    /// no Authorization header; throws for one that is not Basic or not well formed.
    static func basicCredentials(_ request: Request) throws(OAuthError) -> (id: String, secret: String)? {
        guard let header = request.headers[.authorization] else { return nil }
        guard header.utf8.count <= 4096, header.count > 6, header.prefix(6).lowercased() == "basic " else {
            throw .invalidClient("the token endpoint takes client credentials as Basic, in the body, or as an assertion")
        }
        let malformed = OAuthError.invalidClient("malformed Basic credentials", basic: true)
        guard let (rawID, rawSecret) = try? BasicCredentials.parse(header),
              let id = formDecode(ArraySlice(rawID.utf8)), let secret = formDecode(ArraySlice(rawSecret.utf8))
        else { throw malformed }
        return (id, secret)
    }
}
