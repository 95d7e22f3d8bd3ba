import HTTPTypes
import Hummingbird

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
