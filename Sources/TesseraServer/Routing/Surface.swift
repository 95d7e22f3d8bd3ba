import HTTPTypes
import Hummingbird

/// A route group of one wire surface: the middleware its routes share (error format, site, credentials, CORS, a
/// signed-in requirement) and the routes registered on it. `adding` makes a narrower group that shares the
/// surface's middleware and adds its own.
struct Surface {
    let group: RouterGroup<TesseraContext>
    let table: RouteTable
    /// A POST may ask to be served as another verb (Expert's API).
    var verbOverride = false

    init(_ group: RouterGroup<TesseraContext>, table: RouteTable) {
        self.group = group
        self.table = table
    }

    /// A group inside this one, with more middleware.
    func adding(_ middleware: any MiddlewareProtocol<Request, Response, TesseraContext>...) -> Surface {
        adding(middleware)
    }

    func adding(_ middleware: [any MiddlewareProtocol<Request, Response, TesseraContext>]) -> Surface {
        let inner = group.group()
        for m in middleware { inner.add(middleware: m) }
        var surface = Surface(inner, table: table)
        surface.verbOverride = verbOverride
        return surface
    }

    /// This surface, its POSTs taking a verb override.
    func takingVerbOverride() -> Surface {
        var surface = self
        surface.verbOverride = true
        return surface
    }

    /// Registers a route for each method.
    func on(_ path: String, _ methods: HTTPRequest.Method..., use handler: @escaping @Sendable (Request, TesseraContext) async throws -> Response) {
        for method in methods { table.add(path, method, group: group, verbOverride: verbOverride, handler: handler) }
    }

    /// Answers every path under `prefix` that no route serves with 404, in this surface's format.
    func notFound(under prefix: String) {
        for method in RouteTable.methods {
            group.on(RouterPath(prefix + "/**"), method: method) { request, _ -> Response in
                throw NoRoute(path: request.uri.path)
            }
        }
    }
}
