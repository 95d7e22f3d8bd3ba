import Foundation
import Hummingbird
import Logging
import ServiceLifecycle
import TesseraCore
import TesseraCrypto

/// Builds the HTTP application: one route group per wire surface, each with the middleware it needs, and every
/// route registered once in its surface's file.
public enum TesseraApp {
    /// `accessLog`: the logger writes debug messages. Middleware that would do nothing (no access log, no trusted
    /// proxy) is left out: each layer costs every request a few percent.
    public static func router(services: Services, accessLog: Bool = false) -> Router<TesseraContext> {
        let router = Router(context: TesseraContext.self)
        // Outermost: the access log, and deki errors for what no surface claims (an unknown path outside them).
        if accessLog { router.add(middleware: AccessLogMiddleware()) }
        if !services.settings.trustedProxies.isEmpty {
            router.add(middleware: ClientAddressMiddleware(proxies: services.settings.trustedProxies))
        }
        router.add(middleware: WireErrorMiddleware(format: .deki, settings: services.settings))
        let table = RouteTable()
        let resolver = CallerResolver(services: services)
        let base = Surface(router.group(), table: table)

        /// A surface's shared start: its error format, the body cap, the site by Host. Deki errors are the router's
        /// own (above): a second layer would render them the same way.
        func surface(_ format: WireErrorFormat) -> Surface {
            let shared: [any MiddlewareProtocol<Request, Response, TesseraContext>] = [BodyLimitMiddleware(), SiteMiddleware(sites: services.sites)]
            guard format != .deki else { return base.adding(shared) }
            return base.adding([WireErrorMiddleware(format: format, settings: services.settings, sites: services.sites)] + shared)
        }

        // Health: no site, no credentials.
        HealthRoutes(services: services).register(on: base)

        // Expert: /@api/deki and /@app (deki errors).
        let deki = surface(.deki).adding(FormQueryMiddleware())
        deki.notFound(under: "/@api/deki")
        deki.notFound(under: "/@app")
        let signIn = deki.adding(CrossSiteRefusalMiddleware(services: services))
        UsersRoutes(services: services).registerSignIn(on: signIn)
        ExchangeRoutes(services: services).register(on: signIn)
        let dekiAPI = deki.adding(BrowserTokenPreflightMiddleware(credentials: services.credentials),
                                  CallerMiddleware(resolver: resolver, surface: .deki)).takingVerbOverride()
        UsersRoutes(services: services).register(on: dekiAPI)
        DeveloperTokensRoutes(services: services).register(on: dekiAPI)
        AuditRoutes(services: services).register(on: dekiAPI)
        LegacyTokenRoutes(services: services).register(on: dekiAPI)
        BrandingRoutes(services: services).register(on: dekiAPI)
        IdentityLinkRoutes(services: services).register(on: dekiAPI)
        AuthorizationsRoutes(services: services).register(on: dekiAPI.adding(SignedInMiddleware()))

        // Expert's OAuth token endpoints: RFC 6749 errors; clients authenticate themselves.
        ExpertOAuthRoutes(services: services).register(on: surface(.oauth))

        // CXone: JSON and OAuth errors throughout.
        let cxone = surface(.oauth)
        for prefix in ["/auth", "/.well-known", "/authentication", "/access-key-management", "/public"] { cxone.notFound(under: prefix) }
        IntrospectionRoutes(services: services).register(on: cxone)  // server to server: no CORS
        // What a browser application calls: CORS for every registered origin.
        let browser = cxone.adding(RegisteredOriginsCORSMiddleware(directory: services.directory))
        let browserAPI = browser.adding(CallerMiddleware(resolver: resolver, surface: .cxone))
        let signedIn = browserAPI.adding(SignedInMiddleware())
        TokenRoutes(services: services).register(on: browser, signedIn: signedIn)
        DiscoveryRoutes(services: services).register(on: browser, api: browserAPI)
        AccessKeyRoutes(services: services).register(on: signedIn)
        RegistrationRoutes(services: services).register(on: signedIn)

        // The gateway check: resolves the forwarded request's credentials itself.
        GatewayRoutes(services: services, resolver: resolver).register(on: surface(.oauth))

        // Pages: HTML errors. The dashboard's pages need a sign-in session.
        let pages = surface(.page)
        AuthorizeRoutes(services: services).register(on: pages)
        FrontDoorRoutes(services: services).register(on: pages)
        let dashboard = pages.adding(DashboardSessionMiddleware(services: services))
        dashboard.notFound(under: "/dashboard")
        TokenPages(services: services).register(on: dashboard)
        KeyPages(services: services).register(on: dashboard)
        UserPages(services: services).register(on: dashboard)
        SitePages(services: services).register(on: dashboard)
        ApplicationPages(services: services).register(on: dashboard)

        table.finish()
        return router
    }

    public static func application(services: Services, host: String, port: Int, logger: Logger,
                                   onServerRunning: @escaping @Sendable (Int) async -> Void = { _ in }) -> some ApplicationProtocol {
        Application(
            router: router(services: services, accessLog: logger.logLevel <= .debug),
            server: .http1(additionalChannelHandlers: [KeepAliveDrain()]),
            configuration: .init(address: .hostname(host, port: port), serverName: "Tessera"),
            onServerRunning: { channel in await onServerRunning(channel.localAddress?.port ?? port) },
            logger: logger
        )
    }
}
