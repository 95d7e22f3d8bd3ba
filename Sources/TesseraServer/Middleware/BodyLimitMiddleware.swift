import Hummingbird
import TesseraCore

/// Refuses bodies announced larger than the cap before anything reads them (bodies without a length are capped
/// while being read).
struct BodyLimitMiddleware: RouterMiddleware {
    func handle(_ request: Request, context: TesseraContext, next: (Request, TesseraContext) async throws -> Response) async throws -> Response {
        if let length = request.headers[.contentLength] {
            guard let bytes = Int(length), bytes >= 0 else { throw ServiceError.invalidInput("invalid Content-Length") }
            if bytes > Limits.maxBodyBytes { throw HTTPError(.contentTooLarge) }
        }
        return try await next(request, context)
    }
}
