import Foundation
import Testing
import TesseraCore
import TesseraCrypto
import TesseraTestSupport

/// One deployment for a rules test: a real store of the given kind, every service on a `TestClock`, the default
/// site with its administrator, and helpers that make the records a rule needs.
struct World {
    static let adminPassword = "admin-password-1"
    let store: any Store
    let clock: TestClock
    let services: Services
    let site: Site
    let admin: User

    /// nil when this store kind is not available here (PostgreSQL without scripts/test).
    static func make(_ kind: StoreKind, settings: Settings = Settings(publicURL: "https://tessera.test")) async throws -> World? {
        guard let store = try await StoreFixtures.make(kind) else { return nil }
        let clock = TestClock()
        let services = TestServices.make(store, clock: clock, settings: settings)
        _ = try await services.siteService.bootstrapDefaultSite(adminPassword: adminPassword)
        let site = try await services.sites.site(forHost: nil)
        let admin = try #require(try await store.user(site: site.id, id: User.firstAdminID))
        return World(store: store, clock: clock, services: services, site: site, admin: admin)
    }

    var adminCaller: Caller { Caller(site: site, user: admin, kind: .authToken) }

    func close() async throws { try await store.close() }

    /// A new user of the site, with a password.
    func user(_ name: String, role: Role = .contributor, password: String = "user-password-1") async throws -> User {
        try await services.accounts.createUser(UserChanges(username: name, email: "\(name)@example.org", fullName: "\(name) Example",
                                                           roleName: role.name, password: password), caller: adminCaller)
    }

    /// A registered and approved application; its secret when it has one.
    func application(_ type: ApplicationType, method: ClientAuthMethod? = nil, redirect: String = "https://app.example/cb") async throws
        -> (Application, String?) {
        try await services.registrations.registerApproved(
            RegistrationForm(name: "App \(UUID().uuidString.prefix(6))", type: type, authMethod: method,
                             redirectURIs: type == .backend ? [] : [redirect]), site: site)
    }

    /// An `oauth` developer token and its secret.
    func oauthToken() async throws -> (DeveloperToken, String) {
        let issued = try await services.developerTokens.create(NewDeveloperToken(type: .oauth, name: "OAuth", hosts: "app.example"),
                                                               caller: adminCaller, clientAddress: "test")
        return (issued.token, try #require(issued.secret))
    }

    /// A token request as a surface would build it.
    func request(_ parameters: [String: String], basic: (String, String)? = nil) -> TokenRequest {
        TokenRequest(parameters: parameters, basic: basic.map { (id: $0.0, secret: $0.1) }, endpointURL: "https://tessera.test/auth/token",
                     clientAddress: "test")
    }

    /// Expects an OAuth error with this code.
    static func expectOAuthError(_ code: String, sourceLocation: SourceLocation = #_sourceLocation, _ body: () async throws -> Void) async {
        do {
            try await body()
            Issue.record("expected \(code), but it succeeded", sourceLocation: sourceLocation)
        } catch let error as OAuthError {
            #expect(error.code == code, "got \(error.code): \(error.description)", sourceLocation: sourceLocation)
        } catch {
            Issue.record("expected \(code), got \(error)", sourceLocation: sourceLocation)
        }
    }

    /// Expects a `ServiceError` of this kind.
    static func expectRefusal(_ matches: (ServiceError) -> Bool, sourceLocation: SourceLocation = #_sourceLocation,
                              _ body: () async throws -> Void) async {
        do {
            try await body()
            Issue.record("expected a refusal, but it succeeded", sourceLocation: sourceLocation)
        } catch let error as ServiceError {
            #expect(matches(error), "got \(error)", sourceLocation: sourceLocation)
        } catch {
            Issue.record("expected a ServiceError, got \(error)", sourceLocation: sourceLocation)
        }
    }
}

extension ServiceError {
    var isUnauthenticated: Bool { if case .unauthenticated = self { true } else { false } }
    var isForbidden: Bool { if case .forbidden = self { true } else { false } }
    var isConflict: Bool { if case .conflict = self { true } else { false } }
    var isThrottled: Bool { if case .throttled = self { true } else { false } }
}
