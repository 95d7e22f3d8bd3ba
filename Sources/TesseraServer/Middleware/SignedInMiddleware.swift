import Hummingbird
import TesseraCore

/// Refuses the anonymous caller (401) on surfaces where every route needs a signed-in user. Runs after
/// `CallerMiddleware`.
struct SignedInMiddleware: RouterMiddleware {
    func handle(_ request: Request, context: TesseraContext, next: (Request, TesseraContext) async throws -> Response) async throws -> Response {
        guard let caller = context.caller, !caller.isAnonymous else { throw ServiceError.unauthenticated("authentication required") }
        return try await next(request, context)
    }
}
