import HTTPTypes

/// A method a route does not serve (405 with `Allow`).
struct MethodNotAllowed: Error {
    var method: HTTPRequest.Method
    var allowed: String
}
