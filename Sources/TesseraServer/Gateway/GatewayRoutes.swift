import Foundation
import HTTPTypes
import Hummingbird
import TesseraCore

/// `/auth/check`: the gateway check for reverse proxies (nginx `auth_request`, Traefik ForwardAuth, Envoy's HTTP
/// ext_authz). It resolves the caller from the original request's credentials, which the proxy forwards as
/// headers, through the same caller resolution as the API, and answers:
/// - 200 with the identity in `X-Tessera-*` headers (the proxy copies them to the upstream request);
/// - 401 when the request carries no credential;
/// - 403 when it carries one that is refused (invalid, expired, revoked, or its user deactivated).
///
/// Any method, and any path under the prefix: Envoy sends the original method and appends the original path.
/// The apikey and authtoken query parameters of legacy tokens are read from the original URL
/// (`X-Original-URI` from nginx, `X-Forwarded-Uri` from Traefik), else from this request's own.
struct GatewayRoutes {
    let services: Services
    let resolver: CallerResolver

    static let originalURI = HTTPField.Name("X-Original-URI")!
    static let forwardedURI = HTTPField.Name("X-Forwarded-Uri")!
    static let userID = HTTPField.Name("X-Tessera-User-Id")!
    static let userGUID = HTTPField.Name("X-Tessera-User-Guid")!
    static let username = HTTPField.Name("X-Tessera-Username")!
    static let tenantID = HTTPField.Name("X-Tessera-Tenant-Id")!
    static let tokenKind = HTTPField.Name("X-Tessera-Token-Kind")!
    static let scopes = HTTPField.Name("X-Tessera-Scopes")!

    static let methods: [HTTPRequest.Method] = [.get, .head, .post, .put, .patch, .delete]

    func register(on surface: Surface) {
        for path in ["/auth/check", "/auth/check/**"] {
            for method in Self.methods { surface.on(path, method) { request, context in try await check(request, context) } }
        }
    }

    private func check(_ request: Request, _ context: TesseraContext) async throws -> Response {
        let site = try context.requireSite()
        let resolved: ResolvedCaller
        do {
            resolved = try await resolver.resolve(request, site: site, clientAddress: context.clientAddress, surface: .gateway)
        } catch let error as ServiceError {
            switch error {
            case .unavailable, .throttled: throw error
            default: return Self.refusal(.forbidden, code: "access_denied", description: error.message)
            }
        }
        let caller = resolved.caller
        guard !caller.isAnonymous else {
            return Self.refusal(.unauthorized, code: "invalid_token", description: "no credentials",
                                headers: [.wwwAuthenticate: "Bearer realm=\"Tessera\""])
        }
        var headers: HTTPFields = [.cacheControl: "no-store"]
        headers[Self.userID] = String(caller.user.id)
        headers[Self.userGUID] = caller.user.guid.lowercasedString
        headers[Self.username] = Self.headerSafe(caller.user.username)
        headers[Self.tenantID] = site.id.lowercasedString
        headers[Self.tokenKind] = caller.kind.rawValue
        headers[Self.scopes] = resolved.scope ?? ""
        if let origin = resolved.allowedOrigin { headers.append(contentsOf: CORS.responseHeaders(origin: origin)) }
        return Response(status: .ok, headers: headers)
    }

    /// A username as a header value, unambiguous: every byte outside RFC 3986's unreserved set (`%` included) is
    /// percent-encoded, so no two names give the same header and none can smuggle a separator.
    static func headerSafe(_ value: String) -> String {
        var out = ""
        out.reserveCapacity(value.utf8.count)
        for byte in value.utf8 {
            let unreserved = (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x61 && byte <= 0x7A) || (byte >= 0x30 && byte <= 0x39)
                || byte == 0x2D || byte == 0x2E || byte == 0x5F || byte == 0x7E
            if unreserved {
                out.unicodeScalars.append(Unicode.Scalar(byte))
            } else {
                out += "%" + String(byte, radix: 16, uppercase: true).leftPadded()
            }
        }
        return out
    }

    private static func refusal(_ status: HTTPResponse.Status, code: String, description: String, headers: HTTPFields = [:]) -> Response {
        var fields = headers
        fields[.cacheControl] = "no-store"
        return CXoneIO.json([("error", .string(code)), ("error_description", .string(description))], status: status, headers: fields)
    }
}

private extension String {
    /// Two hex digits.
    func leftPadded() -> String { count == 1 ? "0" + self : self }
}
