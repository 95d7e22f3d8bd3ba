/// No route at this path (404).
struct NoRoute: Error {
    var path: String
}
