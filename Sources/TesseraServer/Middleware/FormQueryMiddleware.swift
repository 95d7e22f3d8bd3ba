import Hummingbird

/// Expert's framework reads a query string as a form does: `+` is a space (what PHP's `urlencode`, Python's
/// requests and HTML forms write for one). Hummingbird keeps a `+` as it is, so the Expert surface rewrites it to
/// `%20` before anything reads the query; a literal plus arrives as `%2B`.
struct FormQueryMiddleware: RouterMiddleware {
    func handle(_ request: Request, context: TesseraContext, next: (Request, TesseraContext) async throws -> Response) async throws -> Response {
        // Bytes, not Characters: this runs on every Expert API request.
        guard let path = request.head.path, let start = path.utf8.firstIndex(of: UInt8(ascii: "?")),
              path.utf8[start...].contains(UInt8(ascii: "+")) else {
            return try await next(request, context)
        }
        var head = request.head
        head.path = String(path[..<start]) + path[start...].replacingOccurrences(of: "+", with: "%20")
        return try await next(Request(head: head, body: request.body), context)
    }
}
