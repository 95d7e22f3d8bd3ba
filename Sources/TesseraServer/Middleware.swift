import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import Synchronization
import TesseraCore
import TesseraCrypto

/// Outermost middleware: turns every error into the owning surface's error body, and writes the access log
/// (method, path and status only: query strings may carry secrets).
struct ErrorMiddleware: RouterMiddleware {
    let services: Services
    let routes: KnownRoutes

    func handle(_ request: Request, context: TesseraContext, next: (Request, TesseraContext) async throws -> Response) async throws -> Response {
        let started = ContinuousClock.now
        var response: Response
        do {
            response = try await next(request, context)
        } catch let error as DecoratedError {
            response = render(error.base, request: request, context: context)
            response.headers.append(contentsOf: error.headers)
        } catch {
            response = render(error, request: request, context: context)
        }
        context.logger.debug("request", metadata: [
            "method": "\(request.method)", "path": "\(request.uri.path.prefix(256))", "status": "\(response.status.code)",
            "ms": "\((ContinuousClock.now - started).components.attoseconds / 1_000_000_000_000_000)",
        ])
        return response
    }

    /// Each surface writes an error its own way (deki document, or OAuth-style JSON); what the error means is
    /// decided once, in `classify`.
    private func render(_ error: any Error, request: Request, context: TesseraContext) -> Response {
        let cxone = CXoneIO.owns(request.uri.path) || CXoneIO.isExpertTokenEndpoint(request.uri.path)
        let wire = classify(error, cxone: cxone, request: request, context: context)
        if cxone { return CXoneIO.error(wire.status, code: wire.code, description: wire.message, headers: wire.headers) }
        return DekiOutput.error(status: wire.status, message: wire.message, request: request, publicURL: services.settings.publicURL,
                                headers: wire.headers)
    }

    /// An error as every surface answers it: status, OAuth error code (the CXone surface shows it), message, headers.
    private struct WireError {
        var status: HTTPResponse.Status
        var code: String
        var message: String
        var headers: HTTPFields = [:]
    }

    private func classify(_ error: any Error, cxone: Bool, request: Request, context: TesseraContext) -> WireError {
        let tooLarge = WireError(status: .contentTooLarge, code: "invalid_request", message: "request body larger than \(Limits.maxBodyBytes) bytes")
        switch error {
        case let error as OAuthError:
            if let underlying = error.underlying {
                context.logger.error("token endpoint failure", metadata: ["type": "\(type(of: underlying))", "path": "\(request.uri.path.prefix(256))"])
            }
            let challenge: HTTPFields = error.status == 401 && error.basicChallenge ? [.wwwAuthenticate: "Basic realm=\"Tessera\""] : [:]
            return WireError(status: HTTPResponse.Status(code: error.status), code: error.code, message: error.description, headers: challenge)
        case let error as ServiceError:
            switch error {
            case .invalidInput(let m): return WireError(status: .badRequest, code: "invalid_request", message: m)
            case .unauthenticated(let m):
                // Expert signs in with Basic. NICE's spec gives every CXone 401 error="invalid_token", a missing token
                // included (RFC 6750 §3 would leave the code out there; it is a SHOULD NOT, and clients match the spec).
                let challenge = cxone ? "Bearer realm=\"Tessera\", error=\"invalid_token\"" : "Basic realm=\"Tessera\""
                return WireError(status: .unauthorized, code: "invalid_token", message: m, headers: [.wwwAuthenticate: challenge])
            case .forbidden(let m): return WireError(status: .forbidden, code: "access_denied", message: m)
            case .notFound(let m): return WireError(status: .notFound, code: "not_found", message: m)
            case .conflict(let m): return WireError(status: .conflict, code: "conflict", message: m)
            case .throttled(let seconds):
                return WireError(status: .tooManyRequests, code: "slow_down", message: "too many failed sign-ins; try again in \(seconds) seconds",
                                 headers: [.retryAfter: String(seconds)])
            case .unavailable(let m): return WireError(status: .serviceUnavailable, code: "temporarily_unavailable", message: m)
            }
        case let error as HTTPError where error.status == .notFound:
            if let allowed = routes.methods(for: request.uri.path), !allowed.isEmpty {
                return WireError(status: .methodNotAllowed, code: "invalid_request", message: "method \(request.method) is not allowed here",
                                 headers: [.allow: allowed.map(\.rawValue).sorted().joined(separator: ", ")])
            }
            return WireError(status: .notFound, code: "not_found", message: "no resource at \(request.uri.path.prefix(256))")
        case let error as HTTPError where error.status == .contentTooLarge:
            return tooLarge
        case is NIOTooManyBytesError:
            // A body without Content-Length that grew past the cap while being read.
            return tooLarge
        case let error as HTTPError:
            return WireError(status: error.status, code: "invalid_request", message: error.body ?? DekiOutput.title(error.status))
        case let error as UnsupportedMediaType:
            let accepted = cxone ? "application/json or a form" : "application/xml or application/json"
            return WireError(status: .unsupportedMediaType, code: "invalid_request",
                             message: "Content-Type \(error.mediaType) is not supported: use \(accepted)")
        case is PasswordHasher.Failure:
            return WireError(status: .serviceUnavailable, code: "temporarily_unavailable", message: "server busy; try again")
        default:
            // Unexpected: log the type only (an error's description may quote input) and answer a bare 500.
            context.logger.error("unhandled error", metadata: ["type": "\(type(of: error))", "path": "\(request.uri.path.prefix(256))"])
            return WireError(status: .internalServerError, code: "server_error", message: "internal error")
        }
    }
}

/// Refuses bodies announced larger than the cap before anything reads them (bodies without a length are
/// capped while being read).
struct BodyLimitMiddleware: RouterMiddleware {
    func handle(_ request: Request, context: TesseraContext, next: (Request, TesseraContext) async throws -> Response) async throws -> Response {
        if let length = request.headers[.contentLength] {
            guard let bytes = Int(length), bytes >= 0 else { throw ServiceError.invalidInput("invalid Content-Length") }
            if bytes > Limits.maxBodyBytes { throw HTTPError(.contentTooLarge) }
        }
        return try await next(request, context)
    }
}

/// Routes the request to its site by the Host header (default site for an unknown host, 400 for a malformed one).
struct SiteMiddleware: RouterMiddleware {
    let services: Services
    static let hostField = HTTPField.Name("Host")!

    func handle(_ request: Request, context: TesseraContext, next: (Request, TesseraContext) async throws -> Response) async throws -> Response {
        var context = context
        // HTTP/1.1's first Host header arrives as the request's authority; any further one stays among the
        // fields. Two Host headers could disagree about the site, so they are refused (RFC 9112 §3.2).
        if !request.headers[values: Self.hostField].isEmpty { throw ServiceError.invalidInput("more than one Host header") }
        context.site = try await services.sites.site(forHost: request.head.authority)
        return try await next(request, context)
    }
}

/// Resolves the caller of every request through `CallerResolver` (one place, one precedence), and adds CORS
/// headers to the answer (error answers included) when a browser token admitted a cross-origin request.
struct CallerMiddleware: RouterMiddleware {
    let resolver: CallerResolver

    func handle(_ request: Request, context: TesseraContext, next: (Request, TesseraContext) async throws -> Response) async throws -> Response {
        var context = context
        let resolved = try await resolver.resolve(request, site: context.requireSite(), clientAddress: context.clientAddress)
        context.caller = resolved?.caller
        guard let origin = resolved?.allowedOrigin else { return try await next(request, context) }
        return try await DecoratedError.adding(CORS.responseHeaders(origin: origin)) { try await next(request, context) }
    }
}

/// An error that carries headers its rendered answer must include (CORS headers of an admitted origin).
struct DecoratedError: Error {
    var base: any Error
    var headers: HTTPFields

    /// Runs `body` and adds `headers` to its answer, or to the error it throws.
    static func adding(_ headers: HTTPFields, to body: () async throws -> Response) async throws -> Response {
        do {
            var response = try await body()
            response.headers.append(contentsOf: headers)
            return response
        } catch {
            throw DecoratedError(base: error, headers: headers)
        }
    }
}

/// CORS for browser tokens: preflight answers for origins that some browser token of the site allows; the actual
/// response echoes the origin. Origins that match nothing get no CORS headers at all.
enum CORS {
    static let allowedHeaders = "X-Deki-Token, Authorization, Content-Type, X-Requested-With, X-Deki-Requested-With, X-Deki-Client"
    static let allowedMethods = "GET, POST, PUT, DELETE, PATCH, OPTIONS"

    static func responseHeaders(origin: String) -> HTTPFields {
        [.accessControlAllowOrigin: origin, .accessControlAllowCredentials: "true", .vary: "Origin"]
    }

    static func preflightHeaders(origin: String) -> HTTPFields {
        var headers = responseHeaders(origin: origin)
        headers[.accessControlAllowHeaders] = allowedHeaders
        headers[.accessControlAllowMethods] = allowedMethods
        headers[.accessControlMaxAge] = "600"
        return headers
    }
}

/// Answers CORS preflight requests (OPTIONS with Origin and Access-Control-Request-Method) before routing.
struct PreflightMiddleware: RouterMiddleware {
    let services: Services

    func handle(_ request: Request, context: TesseraContext, next: (Request, TesseraContext) async throws -> Response) async throws -> Response {
        guard request.method == .options, let origin = request.headers[.origin], request.headers[.accessControlRequestMethod] != nil else {
            return try await next(request, context)
        }
        let site = try context.requireSite()
        guard origin.utf8.count <= 512, try await services.credentials.anyBrowserTokenAllows(origin: origin, site: site) else {
            return Response(status: .noContent, headers: [.vary: "Origin"])
        }
        return Response(status: .noContent, headers: CORS.preflightHeaders(origin: origin))
    }
}

/// CORS of the OpenID Connect endpoints a browser application calls (token, userinfo, JWKS, discovery): the
/// union of every enabled client's registered origins may call them, as CXone does (seed 004: the origins are
/// checked as a set, whichever application the token belongs to). Other origins get no CORS headers. No
/// credentials (cookies) are allowed: these endpoints authenticate with tokens.
struct RegisteredOriginsCORS: RouterMiddleware {
    let services: Services
    static let paths: Set<String> = ["/auth/token", "/auth/userinfo", "/auth/jwks", "/.well-known/openid-configuration"]

    func handle(_ request: Request, context: TesseraContext, next: (Request, TesseraContext) async throws -> Response) async throws -> Response {
        // The Origin header first: most API calls carry none, and it is cheaper to look up than the path.
        guard let origin = request.headers[.origin], origin.utf8.count <= 512, Self.paths.contains(request.uri.path) else {
            return try await next(request, context)
        }
        guard try await services.directory.registeredOrigins().contains(origin.lowercased()) else {
            if request.method == .options, request.headers[.accessControlRequestMethod] != nil {
                return Response(status: .noContent, headers: [.vary: "Origin"])
            }
            return try await next(request, context)
        }
        let headers: HTTPFields = [.accessControlAllowOrigin: origin, .vary: "Origin"]
        if request.method == .options, request.headers[.accessControlRequestMethod] != nil {
            var preflight = headers
            preflight[.accessControlAllowHeaders] = "Authorization, Content-Type"
            preflight[.accessControlAllowMethods] = "GET, POST, OPTIONS"
            preflight[.accessControlMaxAge] = "600"
            return Response(status: .noContent, headers: preflight)
        }
        return try await DecoratedError.adding(headers) { try await next(request, context) }
    }
}

/// The route patterns and their methods, so an unknown method on a known path answers 405 with Allow.
/// Filled while routes are registered, read afterwards.
final class KnownRoutes: Sendable {
    private let patterns = Mutex<[([Substring], Set<HTTPRequest.Method>)]>([])

    func add(_ path: String, _ method: HTTPRequest.Method) {
        let segments = path.split(separator: "/")
        patterns.withLock { patterns in
            if let i = patterns.firstIndex(where: { $0.0 == segments }) {
                patterns[i].1.insert(method)
            } else {
                patterns.append((segments, [method]))
            }
        }
    }

    func methods(for path: String) -> Set<HTTPRequest.Method>? {
        let segments = path.split(separator: "/")
        // The router prefers literal segments over parameters; so does this, so that `users/current` does not
        // borrow the methods of `users/:id`.
        var best: (literals: Int, methods: Set<HTTPRequest.Method>)?
        for (pattern, methods) in patterns.withLock({ $0 }) where pattern.count == segments.count {
            guard zip(pattern, segments).allSatisfy({ p, s in p.hasPrefix(":") || p == s }) else { continue }
            let literals = pattern.filter { !$0.hasPrefix(":") }.count
            if best == nil || literals > best!.literals {
                best = (literals, methods)
            } else if literals == best!.literals {
                best!.methods.formUnion(methods)
            }
        }
        return best?.methods
    }
}
