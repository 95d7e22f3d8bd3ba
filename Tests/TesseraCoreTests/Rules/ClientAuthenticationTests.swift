import Foundation
import Testing
import TesseraCore
import TesseraCrypto
import TesseraTestSupport

/// The one client authenticator: every method, and every way it refuses. On both stores.
@Suite struct ClientAuthenticationTests {
    static let jwtBearer = ClientAuthenticator.jwtBearerAssertion

    /// An HS256 client assertion over the secret, with claims that can be overridden.
    static func assertion(_ id: String, secret: String, now: Int64, aud: String = "https://tessera.test/auth/token", exp: Int64? = nil,
                          sub: String? = nil, jti: String = UUID().uuidString, key: String? = nil) -> String {
        let header = Base64URL.encode(Array(#"{"alg":"HS256","typ":"JWT"}"#.utf8))
        let claims = #"{"iss":"\#(id)","sub":"\#(sub ?? id)","aud":"\#(aud)","iat":\#(now),"exp":\#(exp ?? now + 60),"jti":"\#(jti)"}"#
        let input = header + "." + Base64URL.encode(Array(claims.utf8))
        let mac = Secrets.hmacSHA256(key: Array((key ?? secret).utf8), message: Array(input.utf8))
        return input + "." + Base64URL.encode(mac)
    }

    @Test(arguments: StoreKind.allCases)
    func everyMethodAuthenticatesItsClient(_ kind: StoreKind) async throws {
        guard let w = try await World.make(kind) else { return }
        let clients = w.services.clients
        let (basicApp, basicSecret) = try await w.application(.confidential, method: .clientSecretBasic)
        let (postApp, postSecret) = try await w.application(.confidential, method: .clientSecretPost)
        let (jwtApp, jwtSecret) = try await w.application(.confidential, method: .clientSecretJWT)
        let (publicApp, publicSecret) = try await w.application(.public)
        #expect(publicSecret == nil)
        let (token, tokenSecret) = try await w.oauthToken()

        #expect(try await clients.authenticate(w.request([:], basic: (basicApp.clientID, try #require(basicSecret))), site: w.site,
                                               accepting: .all)?.id == basicApp.clientID)
        #expect(try await clients.authenticate(w.request(["client_id": postApp.clientID, "client_secret": try #require(postSecret)]),
                                               site: w.site, accepting: .all)?.id == postApp.clientID)
        let assertion = Self.assertion(jwtApp.clientID, secret: try #require(jwtSecret), now: w.clock.epoch)
        #expect(try await clients.authenticate(w.request(["client_assertion": assertion, "client_assertion_type": Self.jwtBearer]),
                                               site: w.site, accepting: .all)?.id == jwtApp.clientID)
        #expect(try await clients.authenticate(w.request(["client_id": publicApp.clientID]), site: w.site, accepting: .all)?.type == .public)
        #expect(try await clients.authenticate(w.request([:], basic: (token.key, tokenSecret)), site: w.site, accepting: .all)?.developerToken?.id
                == token.id)
        #expect(try await clients.authenticate(w.request(["client_id": token.key, "client_secret": tokenSecret]), site: w.site,
                                               accepting: .developerTokens)?.id == token.key)
        // No client at all: nil (a grant decides whether that is allowed).
        #expect(try await clients.authenticate(w.request(["grant_type": "refresh_token"]), site: w.site, accepting: .all) == nil)
        try await w.close()
    }

    @Test(arguments: StoreKind.allCases)
    func everyWayOfFailingIsRefused(_ kind: StoreKind) async throws {
        guard let w = try await World.make(kind) else { return }
        let clients = w.services.clients
        let (basicApp, basicSecret) = try await w.application(.confidential, method: .clientSecretBasic)
        let (jwtApp, jwtSecret) = try await w.application(.confidential, method: .clientSecretJWT)
        let (token, tokenSecret) = try await w.oauthToken()
        let secret = try #require(basicSecret)
        let jwtKey = try #require(jwtSecret)
        func refused(_ code: String, _ request: TokenRequest, accepting kinds: ClientKinds = .all,
                     sourceLocation: SourceLocation = #_sourceLocation) async {
            await World.expectOAuthError(code, sourceLocation: sourceLocation) {
                _ = try await clients.authenticate(request, site: w.site, accepting: kinds)
            }
        }
        await refused("invalid_client", w.request([:], basic: (basicApp.clientID, secret + "x")))
        await refused("invalid_client", w.request([:], basic: (basicApp.clientID, "")))
        await refused("invalid_client", w.request([:], basic: ("no-such-client", secret)))
        // The registered method only: a Basic client posting its secret is refused.
        await refused("invalid_client", w.request(["client_id": basicApp.clientID, "client_secret": secret]))
        await refused("invalid_client", w.request(["client_id": basicApp.clientID]))
        // Two methods at once.
        await refused("invalid_request", w.request(["client_secret": secret], basic: (basicApp.clientID, secret)))
        await refused("invalid_request", w.request(["client_id": "other"], basic: (basicApp.clientID, secret)))
        await refused("invalid_request", w.request(["client_secret": secret]))
        // Assertions: bad signature, wrong audience, wrong subject, expired by the clock, replayed, wrong type.
        let now = w.clock.epoch
        func jwt(_ a: String) -> TokenRequest { w.request(["client_assertion": a, "client_assertion_type": Self.jwtBearer]) }
        await refused("invalid_client", jwt(Self.assertion(jwtApp.clientID, secret: jwtKey, now: now, key: "not-the-secret")))
        await refused("invalid_client", jwt(Self.assertion(jwtApp.clientID, secret: jwtKey, now: now, aud: "https://elsewhere.example")))
        await refused("invalid_client", jwt(Self.assertion(jwtApp.clientID, secret: jwtKey, now: now, sub: basicApp.clientID)))
        await refused("invalid_client", jwt(Self.assertion(jwtApp.clientID, secret: jwtKey, now: now, exp: now + 7200)))
        let once = Self.assertion(jwtApp.clientID, secret: jwtKey, now: now)
        _ = try await clients.authenticate(jwt(once), site: w.site, accepting: .all)
        await refused("invalid_client", jwt(once))
        let aging = Self.assertion(jwtApp.clientID, secret: jwtKey, now: now)
        w.clock.advance(by: 120)
        await refused("invalid_client", jwt(aging))
        await refused("invalid_request", w.request(["client_assertion": aging, "client_assertion_type": "urn:other"]))
        await refused("invalid_client", jwt("not.a.jwt"))
        // An OAuth API token: its secret, with Basic or post only, and only where developer tokens are taken.
        await refused("invalid_client", w.request([:], basic: (token.key, tokenSecret + "x")))
        await refused("invalid_client", jwt(Self.assertion(token.key, secret: tokenSecret, now: w.clock.epoch)))
        await refused("invalid_client", w.request([:], basic: (token.key, tokenSecret)), accepting: .applications)
        await refused("invalid_client", w.request([:], basic: (basicApp.clientID, secret)), accepting: .developerTokens)
        try await w.close()
    }

    @Test(arguments: StoreKind.allCases)
    func disabledAndForeignClientsAreRefused(_ kind: StoreKind) async throws {
        guard let w = try await World.make(kind) else { return }
        let clients = w.services.clients
        let (app, secret) = try await w.application(.confidential)
        let tracking = try #require(app.trackingNumber)
        _ = try await w.services.registrations.setEnabled(site: w.site, trackingNumber: tracking, enabled: false, actor: w.admin.id)
        await World.expectOAuthError("invalid_client") {
            _ = try await clients.authenticate(w.request([:], basic: (app.clientID, try #require(secret))), site: w.site, accepting: .all)
        }
        _ = try await w.services.registrations.setEnabled(site: w.site, trackingNumber: tracking, enabled: true, actor: w.admin.id)
        #expect(try await clients.authenticate(w.request([:], basic: (app.clientID, try #require(secret))), site: w.site, accepting: .all) != nil)
        // A single-tenant client of this site does not serve another site.
        let other = try await w.services.siteService.createSite(name: "Other", hostnames: ["other.test"], adminPassword: "other-password-1")
        await World.expectOAuthError("invalid_client") {
            _ = try await clients.authenticate(w.request([:], basic: (app.clientID, try #require(secret))), site: other.site, accepting: .all)
        }
        try await w.close()
    }
}
