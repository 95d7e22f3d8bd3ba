import HTTPTypes

/// CORS headers of browser tokens: preflight answers for origins that some browser token of the site allows; the
/// actual response echoes the origin. Origins that match nothing get no CORS headers at all.
enum CORS {
    static let allowedHeaders = "X-Deki-Token, Authorization, Content-Type, X-Requested-With, X-Deki-Requested-With, X-Deki-Client"
    static let allowedMethods = "GET, POST, PUT, DELETE, PATCH, OPTIONS"

    static func responseHeaders(origin: String) -> HTTPFields {
        [.accessControlAllowOrigin: origin, .accessControlAllowCredentials: "true", .vary: "Origin",
         .accessControlExposeHeaders: "X-Deki-Session"]
    }

    static func preflightHeaders(origin: String) -> HTTPFields {
        var headers = responseHeaders(origin: origin)
        headers[.accessControlAllowHeaders] = allowedHeaders
        headers[.accessControlAllowMethods] = allowedMethods
        headers[.accessControlMaxAge] = "600"
        return headers
    }
}
