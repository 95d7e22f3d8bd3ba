import HTTPTypes
import Hummingbird

/// Every route of the application, each registered once through a `Surface`. The table remembers which methods
/// each path serves, so that `finish()` can make every path answer its other methods with 405 and `Allow` — through
/// the middleware of the surface that owns the path, so the error is in that surface's format. Unknown paths under
/// a surface's prefixes are answered by that surface's catch-all route (404 in its format).
final class RouteTable {
    /// The methods a path can be asked for: the ones it does not serve answer 405.
    static let methods: [HTTPRequest.Method] = [.get, .head, .post, .put, .patch, .delete, .options]

    private struct Entry {
        var path: String
        var group: RouterGroup<TesseraContext>
        var methods: Set<HTTPRequest.Method>
    }

    private var entries: [Entry] = []
    private var finished = false

    func add(_ path: String, _ method: HTTPRequest.Method, group: RouterGroup<TesseraContext>,
             handler: @escaping @Sendable (Request, TesseraContext) async throws -> Response) {
        precondition(!finished, "routes are added before the table is finished")
        group.on(RouterPath(path), method: method, use: handler)
        if let index = entries.firstIndex(where: { $0.path == path }) {
            entries[index].methods.insert(method)
        } else {
            entries.append(Entry(path: path, group: group, methods: [method]))
        }
    }

    /// Answers every method a path does not serve with 405 and the methods it does serve.
    func finish() {
        finished = true
        for entry in entries {
            let allowed = entry.methods.map(\.rawValue).sorted().joined(separator: ", ")
            for method in Self.methods where !entry.methods.contains(method) {
                entry.group.on(RouterPath(entry.path), method: method) { request, _ -> Response in
                    throw MethodNotAllowed(method: request.method, allowed: allowed)
                }
            }
        }
    }
}
