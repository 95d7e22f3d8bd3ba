import HTTPTypes
import Hummingbird
import TesseraCore

/// CORS of the CXone endpoints a browser application calls: the union of every enabled client's registered origins
/// may call them, as CXone does (seed 004: the origins are checked as a set, whichever application the token
/// belongs to). Other origins get no CORS headers. No credentials (cookies) are allowed: these endpoints
/// authenticate with tokens.
struct RegisteredOriginsCORSMiddleware: RouterMiddleware {
    let directory: Directory

    func handle(_ request: Request, context: TesseraContext, next: (Request, TesseraContext) async throws -> Response) async throws -> Response {
        guard let origin = request.headers[.origin], origin.utf8.count <= 512 else { return try await next(request, context) }
        let preflight = request.method == .options && request.headers[.accessControlRequestMethod] != nil
        guard try await directory.isRegisteredOrigin(origin) else {
            if preflight { return Response(status: .noContent, headers: [.vary: "Origin"]) }
            return try await next(request, context)
        }
        let headers: HTTPFields = [.accessControlAllowOrigin: origin, .vary: "Origin"]
        if preflight {
            var answer = headers
            answer[.accessControlAllowHeaders] = "Authorization, Content-Type"
            answer[.accessControlAllowMethods] = "GET, POST, PATCH, DELETE, OPTIONS"
            answer[.accessControlMaxAge] = "600"
            return Response(status: .noContent, headers: answer)
        }
        return try await DecoratedError.adding(headers) { try await next(request, context) }
    }
}
