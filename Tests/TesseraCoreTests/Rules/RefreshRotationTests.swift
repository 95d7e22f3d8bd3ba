import Foundation
import Testing
import TesseraCore
import TesseraCrypto
import TesseraTestSupport

/// Refresh tokens rotate on every use; a spent one presented again ends its whole session; expiry follows the clock.
/// Authorization codes are spent once, and a second use ends what the first issued. On both stores.
@Suite struct RefreshRotationTests {
    @Test(arguments: StoreKind.allCases)
    func rotationGivesANewTokenAndReuseEndsTheSession(_ kind: StoreKind) async throws {
        guard let w = try await World.make(kind) else { return }
        let tokens = w.services.cxoneTokens
        let first = try await tokens.issue(user: w.admin, site: w.site, clientID: nil)
        let r1 = try #require(first.refreshToken)
        let second = try await tokens.refresh(r1, site: w.site, clientID: nil)
        let r2 = try #require(second.refreshToken)
        #expect(r2 != r1)
        #expect(second.familyID == first.familyID)
        #expect(try await tokens.verifyAccessToken(second.accessToken, site: w.site).user.id == w.admin.id)

        // r1 again: a replay. The session ends: r2 stops refreshing, both access tokens stop verifying.
        await World.expectOAuthError("invalid_grant") { _ = try await tokens.refresh(r1, site: w.site, clientID: nil) }
        await World.expectOAuthError("invalid_grant") { _ = try await tokens.refresh(r2, site: w.site, clientID: nil) }
        for access in [first.accessToken, second.accessToken] {
            await World.expectRefusal(\.isUnauthenticated) { _ = try await tokens.verifyAccessToken(access, site: w.site) }
        }
        // Another session of the same user is untouched.
        let other = try await tokens.issue(user: w.admin, site: w.site, clientID: nil)
        _ = try await tokens.refresh(try #require(other.refreshToken), site: w.site, clientID: nil)
        try await w.close()
    }

    @Test(arguments: StoreKind.allCases)
    func refreshAndAccessTokensExpireByTheClock(_ kind: StoreKind) async throws {
        guard let w = try await World.make(kind) else { return }
        let tokens = w.services.cxoneTokens
        let issued = try await tokens.issue(user: w.admin, site: w.site, clientID: nil)
        w.clock.advance(by: Double(w.services.settings.accessTokenLifetime) + 1)
        await World.expectRefusal(\.isUnauthenticated) { _ = try await tokens.verifyAccessToken(issued.accessToken, site: w.site) }
        // Still within the refresh token's life: it refreshes.
        let later = try await tokens.refresh(try #require(issued.refreshToken), site: w.site, clientID: nil)
        w.clock.advance(by: Double(w.services.settings.refreshTokenLifetime) + 1)
        await World.expectOAuthError("invalid_grant") { _ = try await tokens.refresh(try #require(later.refreshToken), site: w.site, clientID: nil) }
        try await w.close()
    }

    /// RFC 6749 §6: a refresh token is bound to its client. Another client presenting it is refused without spending
    /// or revoking it (it cannot be the holder's replay); the right client then refreshes as usual.
    @Test(arguments: StoreKind.allCases)
    func aTokenOfOneClientDoesNotRefreshForAnother(_ kind: StoreKind) async throws {
        guard let w = try await World.make(kind) else { return }
        let tokens = w.services.cxoneTokens
        let issued = try await tokens.issue(user: w.admin, site: w.site, clientID: "client-a")
        await World.expectOAuthError("invalid_grant") {
            _ = try await tokens.refresh(try #require(issued.refreshToken), site: w.site, clientID: "client-b")
        }
        await World.expectOAuthError("invalid_grant") {
            _ = try await tokens.refresh(try #require(issued.refreshToken), site: w.site, clientID: nil)
        }
        let refreshed = try await tokens.refresh(try #require(issued.refreshToken), site: w.site, clientID: "client-a")
        #expect(try await tokens.verifyAccessToken(refreshed.accessToken, site: w.site).user.id == w.admin.id)
        #expect(try await tokens.verifyAccessToken(issued.accessToken, site: w.site).user.id == w.admin.id)
        try await w.close()
    }

    @Test(arguments: StoreKind.allCases)
    func aDeactivatedUsersTokensStopRefreshing(_ kind: StoreKind) async throws {
        guard let w = try await World.make(kind) else { return }
        let bob = try await w.user("bob")
        let issued = try await w.services.cxoneTokens.issue(user: bob, site: w.site, clientID: nil)
        _ = try await w.services.accounts.updateUser(.id(bob.id), changes: UserChanges(status: .inactive), caller: w.adminCaller)
        await World.expectOAuthError("invalid_grant") {
            _ = try await w.services.cxoneTokens.refresh(try #require(issued.refreshToken), site: w.site, clientID: nil)
        }
        try await w.close()
    }

    @Test(arguments: StoreKind.allCases)
    func aCodeIsSpentOnceAndItsReplayEndsTheSession(_ kind: StoreKind) async throws {
        guard let w = try await World.make(kind) else { return }
        let (app, secret) = try await w.application(.confidential)
        let client = OAuthClient(.application(app))
        func code(challenge: String? = nil) async throws -> String {
            try await w.services.authorize.issueCode(client: client, user: w.admin, redirectURI: "https://app.example/cb", codeChallenge: challenge,
                                                     nonce: nil, scope: "openid", authTime: w.clock.epoch, site: w.site)
        }
        func exchange(_ code: String, redirect: String = "https://app.example/cb", verifier: String? = nil) async throws -> IssuedTokens {
            var p = ["grant_type": "authorization_code", "code": code, "redirect_uri": redirect]
            p["code_verifier"] = verifier
            return try await w.services.tokenEndpoint.token(w.request(p, basic: (app.clientID, try #require(secret))), site: w.site)
        }
        let raw = try await code()
        let issued = try await exchange(raw)
        #expect(try await w.services.cxoneTokens.verifyAccessToken(issued.accessToken, site: w.site).clientID == app.clientID)
        await World.expectOAuthError("invalid_grant") { _ = try await exchange(raw) }
        await World.expectRefusal(\.isUnauthenticated) { _ = try await w.services.cxoneTokens.verifyAccessToken(issued.accessToken, site: w.site) }
        await World.expectOAuthError("invalid_grant") {
            _ = try await w.services.cxoneTokens.refresh(try #require(issued.refreshToken), site: w.site, clientID: app.clientID)
        }

        // Bound to its redirect URI and its PKCE verifier; dead after 60 s.
        await World.expectOAuthError("invalid_grant") { _ = try await exchange(try await code(), redirect: "https://app.example/other") }
        let verifier = String(repeating: "v", count: 50)
        let challenge = Base64URL.encode(Secrets.sha256(Array(verifier.utf8)))
        await World.expectOAuthError("invalid_grant") { _ = try await exchange(try await code(challenge: challenge), verifier: verifier + "x") }
        _ = try await exchange(try await code(challenge: challenge), verifier: verifier)
        let late = try await code()
        w.clock.advance(by: Double(AuthorizeService.codeLifetime) + 1)
        await World.expectOAuthError("invalid_grant") { _ = try await exchange(late) }
        try await w.close()
    }
}
