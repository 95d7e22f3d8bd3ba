import Foundation
import Testing
import TesseraCore
import TesseraCrypto
import TesseraTestSupport

/// What introspection says about every kind of token, as the clock moves and tokens are revoked. On both stores.
@Suite struct IntrospectionTests {
    @Test(arguments: StoreKind.allCases)
    func everyKindIsActiveUntilItExpiresOrIsRevoked(_ kind: StoreKind) async throws {
        guard let w = try await World.make(kind) else { return }
        let introspection = w.services.introspection
        let (app, _) = try await w.application(.confidential)
        let client = OAuthClient(.application(app))
        let issued = try await w.services.cxoneTokens.issue(user: w.admin, site: w.site, clientID: app.clientID)
        let access = try #require(try await introspection.introspect(issued.accessToken, site: w.site))
        #expect(access.kind == "access-token" && access.user.id == w.admin.id && access.clientID == app.clientID && access.scope == "openid")
        #expect(access.expires == w.clock.epoch + w.services.settings.accessTokenLifetime)
        let refreshToken = try #require(issued.refreshToken)
        let refresh = try #require(try await introspection.introspect(refreshToken, site: w.site))
        #expect(refresh.kind == "refresh-token" && refresh.tokenType == "refresh_token" && refresh.clientID == app.clientID)
        let auth = w.services.accounts.issueToken(site: w.site, user: w.admin).string
        #expect(try await introspection.introspect(auth, site: w.site)?.kind == "authtoken")
        let server = try await w.services.developerTokens.create(NewDeveloperToken(type: .server, name: "S", restrictedUserID: w.admin.id,
                                                                                   generateJWT: true), caller: w.adminCaller, clientAddress: "test")
        let jwt = try #require(server.jwt)
        #expect(try await introspection.introspect(jwt, site: w.site)?.kind == "long-term-jwt")

        // Nothing else is active: garbage, an id_token, the empty string.
        for other in ["garbage", "", issued.idToken, "a.b.c", String(repeating: "x", count: 20_000)] {
            #expect(try await introspection.introspect(other, site: w.site) == nil)
        }
        // Revoking by its own client ends it; another client may not.
        let (other, _) = try await w.application(.confidential)
        await World.expectOAuthError("unauthorized_client") {
            try await introspection.revoke(issued.accessToken, site: w.site, client: OAuthClient(.application(other)), clientAddress: "test")
        }
        try await introspection.revoke(issued.accessToken, site: w.site, client: client, clientAddress: "test")
        #expect(try await introspection.introspect(issued.accessToken, site: w.site) == nil)
        try await introspection.revoke(refreshToken, site: w.site, client: client, clientAddress: "test")
        #expect(try await introspection.introspect(refreshToken, site: w.site) == nil)
        try await introspection.revoke(jwt, site: w.site, client: client, clientAddress: "test")
        #expect(try await introspection.introspect(jwt, site: w.site) == nil)

        // Expiry by the clock: the auth token outlives an access token, and dies at its own expiry.
        let later = try await w.services.cxoneTokens.issue(user: w.admin, site: w.site, clientID: nil)
        w.clock.advance(by: Double(w.services.settings.accessTokenLifetime) + 1)
        #expect(try await introspection.introspect(later.accessToken, site: w.site) == nil)
        #expect(try await introspection.introspect(auth, site: w.site) != nil)
        w.clock.advance(by: Double(w.services.settings.authTokenLifetime))
        #expect(try await introspection.introspect(auth, site: w.site) == nil)
        try await w.close()
    }

    @Test(arguments: StoreKind.allCases)
    func onlyConfidentialClientsMayIntrospect(_ kind: StoreKind) async throws {
        guard let w = try await World.make(kind) else { return }
        let (publicApp, _) = try await w.application(.public)
        await World.expectOAuthError("invalid_client") {
            _ = try await w.services.introspection.authenticate(w.request(["client_id": publicApp.clientID]), site: w.site)
        }
        await World.expectOAuthError("invalid_client") { _ = try await w.services.introspection.authenticate(w.request([:]), site: w.site) }
        let (token, secret) = try await w.oauthToken()
        #expect(try await w.services.introspection.authenticate(w.request([:], basic: (token.key, secret)), site: w.site).id == token.key)
        try await w.close()
    }
}
