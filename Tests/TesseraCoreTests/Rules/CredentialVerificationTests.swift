import Foundation
import Testing
import TesseraCore
import TesseraCrypto
import TesseraTestSupport

/// Server-token signatures, long-term JWTs, auth tokens and access tokens: what verifies, and what the clock, a
/// restriction, a deactivation or a renewal refuses. On both stores.
@Suite struct CredentialVerificationTests {
    @Test(arguments: StoreKind.allCases)
    func signaturesHoldOnlyInsideTheirWindowAndForTheirUser(_ kind: StoreKind) async throws {
        guard let w = try await World.make(kind) else { return }
        let credentials = w.services.credentials
        let bob = try await w.user("bob")
        let carol = try await w.user("carol")
        let open = try await w.services.developerTokens.create(NewDeveloperToken(type: .server, name: "Open"), caller: w.adminCaller, clientAddress: "t")
        let secret = try #require(open.secret)
        func sign(_ user: String, at epoch: Int64, token: IssuedDeveloperToken? = nil, secret: String? = nil) -> String {
            RequestSignature.sign(key: (token ?? open).token.key, secret: secret ?? (token == nil ? open.secret! : token!.secret!), epoch: epoch, user: user)
        }
        #expect(try await credentials.verifySignature(sign(String(bob.id), at: w.clock.epoch), site: w.site).user.id == bob.id)
        #expect(try await credentials.verifySignature(sign("=bob", at: w.clock.epoch), site: w.site).user.id == bob.id)
        let window = w.services.settings.signatureWindow
        #expect(try await credentials.verifySignature(sign("=bob", at: w.clock.epoch - window), site: w.site).user.id == bob.id)
        await World.expectRefusal(\.isUnauthenticated) { _ = try await credentials.verifySignature(sign("=bob", at: w.clock.epoch - window - 1), site: w.site) }
        await World.expectRefusal(\.isUnauthenticated) { _ = try await credentials.verifySignature(sign("=bob", at: w.clock.epoch + window + 1), site: w.site) }
        await World.expectRefusal(\.isUnauthenticated) {
            _ = try await credentials.verifySignature(sign("=bob", at: w.clock.epoch, secret: secret + "0"), site: w.site)
        }
        // Unknown users: refused, unless sign-in may create them (users/authenticate), and never by a restricted token.
        await World.expectRefusal(\.isUnauthenticated) { _ = try await credentials.verifySignature(sign("=newcomer", at: w.clock.epoch), site: w.site) }
        #expect(try await credentials.verifySignature(sign("=newcomer", at: w.clock.epoch), site: w.site, allowJustInTime: true).user.username
                == "newcomer")
        let restricted = try await w.services.developerTokens.create(NewDeveloperToken(type: .server, name: "Bob's", restrictedUserID: bob.id),
                                                                     caller: w.adminCaller, clientAddress: "t")
        #expect(try await credentials.verifySignature(sign("=bob", at: w.clock.epoch, token: restricted), site: w.site).user.id == bob.id)
        await World.expectRefusal(\.isForbidden) {
            _ = try await credentials.verifySignature(sign(String(carol.id), at: w.clock.epoch, token: restricted), site: w.site)
        }
        await World.expectRefusal(\.isForbidden) {
            _ = try await credentials.verifySignature(sign("=other", at: w.clock.epoch, token: restricted), site: w.site, allowJustInTime: true)
        }
        // A deactivated user's signature is refused.
        _ = try await w.services.accounts.updateUser(.id(carol.id), changes: UserChanges(status: .inactive), caller: w.adminCaller)
        await World.expectRefusal(\.isForbidden) { _ = try await credentials.verifySignature(sign("=carol", at: w.clock.epoch), site: w.site) }
        try await w.close()
    }

    @Test(arguments: StoreKind.allCases)
    func longTermJWTsFollowTheirTokenAndUser(_ kind: StoreKind) async throws {
        guard let w = try await World.make(kind) else { return }
        let credentials = w.services.credentials
        let bob = try await w.user("bob")
        let issued = try await w.services.developerTokens.create(NewDeveloperToken(type: .server, name: "J", restrictedUserID: bob.id, generateJWT: true),
                                                                 caller: w.adminCaller, clientAddress: "t")
        let jwt = try #require(issued.jwt)
        #expect(try await credentials.verifyLongTermJWT(jwt, site: w.site).user.id == bob.id)
        // Years later it still holds (ten calendar years).
        w.clock.advance(by: 9 * 365 * 86_400)
        #expect(try await credentials.verifyLongTermJWT(jwt, site: w.site).user.id == bob.id)
        // A renewed JWT revokes the old one.
        let renewed = try await w.services.developerTokens.update(issued.token.id, changes: DeveloperTokenChanges(generateJWT: true),
                                                                  caller: w.adminCaller, clientAddress: "t")
        await World.expectRefusal(\.isForbidden) { _ = try await credentials.verifyLongTermJWT(jwt, site: w.site) }
        let fresh = try #require(renewed.jwt)
        #expect(try await credentials.verifyLongTermJWT(fresh, site: w.site).user.id == bob.id)
        // Its user without a seat, or deactivated: refused.
        _ = try await w.services.accounts.updateUser(.id(bob.id), changes: UserChanges(hasSeat: false), caller: w.adminCaller)
        await World.expectRefusal(\.isForbidden) { _ = try await credentials.verifyLongTermJWT(fresh, site: w.site) }
        await World.expectRefusal(\.isForbidden) { _ = try await credentials.verifyLongTermJWT("not-a-jwt", site: w.site) }
        try await w.close()
    }

    @Test(arguments: StoreKind.allCases)
    func authAndAccessTokensExpireAndFollowTheirUser(_ kind: StoreKind) async throws {
        guard let w = try await World.make(kind) else { return }
        let accounts = w.services.accounts
        let bob = try await w.user("bob")
        let auth = accounts.issueToken(site: w.site, user: bob).string
        #expect(try await accounts.user(forAuthToken: auth, site: w.site).id == bob.id)
        let access = try await w.services.cxoneTokens.issue(user: bob, site: w.site, clientID: nil).accessToken
        #expect(try await w.services.cxoneTokens.verifyAccessToken(access, site: w.site).user.id == bob.id)
        // A password change ends the auth tokens issued before it (their MAC covers the security stamp) and the access
        // tokens too (issued before `tokensValidAfter`).
        w.clock.advance(by: 1)
        _ = try await accounts.updateUser(.id(bob.id), changes: UserChanges(password: "a-new-password-2"), caller: w.adminCaller)
        await World.expectRefusal(\.isUnauthenticated) { _ = try await accounts.user(forAuthToken: auth, site: w.site) }
        await World.expectRefusal(\.isUnauthenticated) { _ = try await w.services.cxoneTokens.verifyAccessToken(access, site: w.site) }
        let renewed = accounts.issueToken(site: w.site, user: try #require(try await w.store.user(site: w.site.id, id: bob.id))).string
        #expect(try await accounts.user(forAuthToken: renewed, site: w.site).id == bob.id)
        // A deactivated user: 403 for the auth token, 401 for the access token. Reactivated, what was issued before the
        // deactivation stays void; what is issued after works.
        let fresh = try await w.services.cxoneTokens.issue(user: try #require(try await w.store.user(site: w.site.id, id: bob.id)), site: w.site,
                                                           clientID: nil).accessToken
        w.clock.advance(by: 1)
        _ = try await accounts.updateUser(.id(bob.id), changes: UserChanges(status: .inactive), caller: w.adminCaller)
        await World.expectRefusal(\.isForbidden) { _ = try await accounts.user(forAuthToken: renewed, site: w.site) }
        await World.expectRefusal(\.isUnauthenticated) { _ = try await w.services.cxoneTokens.verifyAccessToken(fresh, site: w.site) }
        _ = try await accounts.updateUser(.id(bob.id), changes: UserChanges(status: .active), caller: w.adminCaller)
        await World.expectRefusal(\.isUnauthenticated) { _ = try await accounts.user(forAuthToken: renewed, site: w.site) }
        await World.expectRefusal(\.isUnauthenticated) { _ = try await w.services.cxoneTokens.verifyAccessToken(fresh, site: w.site) }
        let reactivated = try #require(try await w.store.user(site: w.site.id, id: bob.id))
        let after = accounts.issueToken(site: w.site, user: reactivated).string
        #expect(try await accounts.user(forAuthToken: after, site: w.site).id == bob.id)
        // The clock: past its expiry an auth token is refused.
        w.clock.advance(by: Double(w.services.settings.authTokenLifetime) + 1)
        await World.expectRefusal(\.isUnauthenticated) { _ = try await accounts.user(forAuthToken: after, site: w.site) }
        try await w.close()
    }
}
