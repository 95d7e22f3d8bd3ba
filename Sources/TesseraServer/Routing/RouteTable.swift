import HTTPTypes
import Hummingbird

/// Every route of the application, each registered once through a `Surface`. The table remembers which methods
/// each path serves, so that `finish()` can make every path answer its other methods with 405 and `Allow` — through
/// the middleware of the surface that owns the path, so the error is in that surface's format — and, on surfaces that
/// take it, a POST that asks for another verb (`?dream.in.verb=` or `X-HTTP-Method-Override`) is served as that verb.
/// Unknown paths under a surface's prefixes are answered by that surface's catch-all route (404 in its format).
final class RouteTable {
    typealias Handler = @Sendable (Request, TesseraContext) async throws -> Response

    /// The methods a path can be asked for: the ones it does not serve answer 405.
    static let methods: [HTTPRequest.Method] = [.get, .head, .post, .put, .patch, .delete, .options]

    private struct Route {
        var method: HTTPRequest.Method
        var group: RouterGroup<TesseraContext>
        var handler: Handler
        var verbOverride: Bool
    }

    private var paths: [String] = []
    private var routes: [String: [Route]] = [:]
    private var finished = false

    func add(_ path: String, _ method: HTTPRequest.Method, group: RouterGroup<TesseraContext>, verbOverride: Bool, handler: @escaping Handler) {
        precondition(!finished, "routes are added before the table is finished")
        precondition(!(routes[path] ?? []).contains { $0.method == method }, "\(method) \(path) is registered twice")
        if routes[path] == nil { paths.append(path) }
        routes[path, default: []].append(Route(method: method, group: group, handler: handler, verbOverride: verbOverride))
    }

    /// Registers every route with the router, and the 405s and verb overrides they imply.
    func finish() {
        finished = true
        for path in paths {
            let served = routes[path]!
            let allowed = served.map(\.method.rawValue).sorted().joined(separator: ", ")
            let handlers = Dictionary(served.map { ($0.method, $0.handler) }, uniquingKeysWith: { first, _ in first })
            let overridable = served.contains(where: \.verbOverride)
            for route in served where !(overridable && route.method == .post) {
                route.group.on(RouterPath(path), method: route.method, use: route.handler)
            }
            let owner = served.first { $0.method == .post } ?? served[0]
            if overridable {
                let post = handlers[.post]
                owner.group.on(RouterPath(path), method: .post) { request, context -> Response in
                    let verb = VerbOverride.requested(request) ?? .post
                    guard let handler = verb == .post ? post : handlers[verb] else { throw MethodNotAllowed(method: verb, allowed: allowed) }
                    return try await handler(request, context)
                }
            }
            for method in Self.methods where handlers[method] == nil && !(overridable && method == .post) {
                owner.group.on(RouterPath(path), method: method) { request, _ -> Response in
                    throw MethodNotAllowed(method: request.method, allowed: allowed)
                }
            }
        }
    }
}
