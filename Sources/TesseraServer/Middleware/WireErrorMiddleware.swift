import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import TesseraCore
import TesseraCrypto

/// Turns every error its surface's routes throw into that surface's wire error. What an error means (status,
/// OAuth code, message, headers) is decided once, in `WireError.classify`; how it is written depends on the
/// surface.
struct WireErrorMiddleware: RouterMiddleware {
    let format: WireErrorFormat
    let settings: Settings
    /// For pages: the site whose branding an error page wears (the site middleware runs inside this one, so its
    /// finding is not seen here).
    var sites: SiteDirectory?

    func handle(_ request: Request, context: TesseraContext, next: (Request, TesseraContext) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch {
            var context = context
            if format == .page, context.site == nil, let sites { context.site = try? await sites.site(forHost: request.head.authority) }
            guard let decorated = error as? DecoratedError else { return render(error, request: request, context: context) }
            var response = render(decorated.base, request: request, context: context)
            response.headers.append(contentsOf: decorated.headers)
            return response
        }
    }

    private func render(_ error: any Error, request: Request, context: TesseraContext) -> Response {
        let wire = WireError.classify(error, format: format, request: request, logger: context.logger)
        switch format {
        case .oauth:
            return CXoneIO.error(wire.status, code: wire.code, description: wire.message, headers: wire.headers)
        case .page where context.site != nil:
            var response = Page.error(site: context.site!, message: wire.message, status: wire.status)
            response.headers.append(contentsOf: wire.headers)
            return response
        case .deki, .page:
            return DekiOutput.error(status: wire.status, message: wire.message, request: request, publicURL: settings.publicURL, headers: wire.headers)
        }
    }
}
