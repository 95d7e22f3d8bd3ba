import Hummingbird
import Logging
import NIOCore
import TesseraCore

/// Per-request state that middleware fills in for the routes: the site, the resolved caller, the client address.
public struct TesseraContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    /// The site the Host header routed to (set by `SiteMiddleware`).
    public var site: Site?
    /// Who the request runs as (set by `CallerMiddleware`).
    public var caller: Caller?
    /// The scope of the access token the caller presented, if any (set by `CallerMiddleware`).
    public var scope: String?
    /// The client's IP address, used for sign-in throttling and the audit trail: the peer's, or what a trusted
    /// proxy says it is (`ClientAddressMiddleware`).
    public var clientAddress: String

    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        clientAddress = source.channel.remoteAddress?.ipAddress ?? "unknown"
    }

    /// Bodies are read with our own cap (see `Limits`), so Hummingbird's decoder cap matches it.
    public var maxUploadSize: Int { Limits.maxBodyBytes }

    /// The caller, or a 500-free refusal when a route is reached without one (a wiring error, not input).
    func requireCaller() throws -> Caller {
        guard let caller else { throw ServiceError.unavailable("caller not resolved") }
        return caller
    }

    func requireSite() throws -> Site {
        guard let site else { throw ServiceError.unavailable("site not resolved") }
        return site
    }
}
