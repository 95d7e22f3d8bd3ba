import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import TesseraCore
import TesseraCrypto

/// An error as every surface answers it: status, OAuth error code (the JSON surfaces show it), message, headers.
struct WireError {
    var status: HTTPResponse.Status
    var code: String
    var message: String
    var headers: HTTPFields = [:]

    static func classify(_ error: any Error, format: WireErrorFormat, request: Request, logger: Logger) -> WireError {
        let json = format != .deki
        let tooLarge = WireError(status: .contentTooLarge, code: "invalid_request", message: "request body larger than \(Limits.maxBodyBytes) bytes")
        switch error {
        case let error as OAuthError:
            if let underlying = error.underlying {
                logger.error("token endpoint failure", metadata: ["type": "\(type(of: underlying))", "path": "\(request.uri.path.prefix(256))"])
            }
            var headers: HTTPFields = error.status == 401 && error.basicChallenge ? [.wwwAuthenticate: "Basic realm=\"Tessera\""] : [:]
            if error.status == 503 { headers[.retryAfter] = String(StoreError.retryAfterSeconds) }
            return WireError(status: HTTPResponse.Status(code: error.status), code: error.code, message: error.description, headers: headers)
        case let error as ServiceError:
            switch error {
            case .invalidInput(let m): return WireError(status: .badRequest, code: "invalid_request", message: m)
            case .unauthenticated(let m):
                // Expert signs in with Basic. NICE's spec gives every CXone 401 error="invalid_token", a missing token
                // included (RFC 6750 §3 would leave the code out there; it is a SHOULD NOT, and clients match the spec).
                let challenge = json ? "Bearer realm=\"Tessera\", error=\"invalid_token\"" : "Basic realm=\"Tessera\""
                return WireError(status: .unauthorized, code: "invalid_token", message: m, headers: [.wwwAuthenticate: challenge])
            case .forbidden(let m): return WireError(status: .forbidden, code: "access_denied", message: m)
            case .insufficientScope(let scope):
                // RFC 6750 §3.1; the scope parameter names the scope that would reach this, when there is one.
                let named = Scope.isWellFormed(scope) ? ", scope=\"\(scope)\"" : ""
                let challenge: HTTPFields = json ? [.wwwAuthenticate: "Bearer realm=\"Tessera\", error=\"insufficient_scope\"\(named)"] : [:]
                return WireError(status: .forbidden, code: "insufficient_scope", message: error.message, headers: challenge)
            case .notFound(let m): return WireError(status: .notFound, code: "not_found", message: m)
            case .conflict(let m): return WireError(status: .conflict, code: "conflict", message: m)
            case .throttled(let seconds):
                return WireError(status: .tooManyRequests, code: "slow_down", message: "too many failed sign-ins; try again in \(seconds) seconds",
                                 headers: [.retryAfter: String(seconds)])
            case .unavailable(let m): return .unavailable(m)
            }
        case StoreError.unavailable(let m):
            return .unavailable(m)
        case StoreError.unstorable(let what):
            return WireError(status: .badRequest, code: "invalid_request", message: "the request holds \(what)")
        case let error as MethodNotAllowed:
            return WireError(status: .methodNotAllowed, code: "invalid_request", message: "method \(error.method) is not allowed here",
                             headers: [.allow: error.allowed])
        case let error as NoRoute:
            return WireError(status: .notFound, code: "not_found", message: "no resource at \(error.path.prefix(256))")
        case let error as HTTPError where error.status == .notFound:
            return WireError(status: .notFound, code: "not_found", message: "no resource at \(request.uri.path.prefix(256))")
        case let error as HTTPError where error.status == .contentTooLarge:
            return tooLarge
        case is NIOTooManyBytesError:
            // A body without Content-Length that grew past the cap while being read.
            return tooLarge
        case let error as HTTPError:
            return WireError(status: error.status, code: "invalid_request", message: error.body ?? DekiOutput.title(error.status))
        case let error as UnsupportedMediaType:
            let accepted = json ? "application/json or a form" : "application/xml or application/json"
            return WireError(status: .unsupportedMediaType, code: "invalid_request",
                             message: "Content-Type \(error.mediaType) is not supported: use \(accepted)")
        case is PasswordHasher.Failure:
            return .unavailable("server busy; try again")
        default:
            // Unexpected: log the type only (an error's description may quote input) and answer a bare 500.
            logger.error("unhandled error", metadata: ["type": "\(type(of: error))", "path": "\(request.uri.path.prefix(256))"])
            return WireError(status: .internalServerError, code: "server_error", message: "internal error")
        }
    }

    /// 503 with `Retry-After`: the same request may be sent again then.
    static func unavailable(_ message: String) -> WireError {
        WireError(status: .serviceUnavailable, code: "temporarily_unavailable", message: message,
                  headers: [.retryAfter: String(StoreError.retryAfterSeconds)])
    }
}
