import Hummingbird
import TesseraCore

/// Whether a request's Origin is this server: the request's own Host (host and port), or the site's base URL.
enum SameOrigin {
    static func holds(_ origin: Origin, request: Request, site: Site, settings: Settings) -> Bool {
        if let authority = request.head.authority, let own = Origin.parse(origin.scheme + "://" + authority), own == origin { return true }
        return Origin.parse(settings.baseURL(of: site)) == origin
    }
}
