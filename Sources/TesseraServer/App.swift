import Foundation
import Hummingbird
import Logging
import ServiceLifecycle
import TesseraCore
import TesseraCrypto
import TesseraStore

/// Builds the HTTP application: middleware in order, then every surface's routes.
public enum TesseraApp {
    public static func router(services: Services) -> Router<TesseraContext> {
        let router = Router(context: TesseraContext.self)
        let routes = KnownRoutes()
        // Middleware wraps the routes added after it, and the router's not-found handling too.
        router.add(middleware: ErrorMiddleware(services: services, routes: routes))
        router.add(middleware: BodyLimitMiddleware())
        router.add(middleware: SiteMiddleware(services: services))
        router.add(middleware: RegisteredOriginsCORS(services: services))
        router.add(middleware: PreflightMiddleware(services: services))
        router.add(middleware: CallerMiddleware(resolver: CallerResolver(services: services)))
        HealthRoutes(services: services).register(on: router, routes: routes)
        UsersRoutes(services: services).register(on: router, routes: routes)
        DeveloperTokensRoutes(services: services).register(on: router, routes: routes)
        AuditRoutes(services: services).register(on: router, routes: routes)
        CXoneRoutes(services: services).register(on: router, routes: routes)
        AccessKeyRoutes(services: services).register(on: router, routes: routes)
        IntrospectionRoutes(services: services).register(on: router, routes: routes)
        GatewayRoutes(services: services).register(on: router, routes: routes)
        ExchangeRoutes(services: services).register(on: router, routes: routes)
        LegacyTokenRoutes(services: services).register(on: router, routes: routes)
        RegistrationRoutes(services: services).register(on: router, routes: routes)
        AuthorizeRoutes(services: services).register(on: router, routes: routes)
        ExpertOAuthRoutes(services: services).register(on: router, routes: routes)
        return router
    }

    public static func application(services: Services, host: String, port: Int, logger: Logger,
                                   onServerRunning: @escaping @Sendable (Int) async -> Void = { _ in }) -> some ApplicationProtocol {
        Application(
            router: router(services: services),
            configuration: .init(address: .hostname(host, port: port), serverName: "Tessera"),
            onServerRunning: { channel in await onServerRunning(channel.localAddress?.port ?? port) },
            logger: logger
        )
    }
}

