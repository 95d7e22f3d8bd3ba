import Foundation
import Testing
import TesseraCore
import TesseraCrypto
import TesseraStore
import TesseraTestSupport

/// A database written by the release whose schema ends at step 5 opens under this code, migrates, and every
/// credential in it still works — on SQLite (the file that release wrote) and PostgreSQL (its dump). The clock is
/// set to a minute after the fixture was made, so the short-lived tokens in it are still live.
///
/// `finishing`: on PostgreSQL the contract steps (the refresh-token family's type) wait for `tessera migrate --finish`
/// while that release's instances may still serve: this code works on the database before them and after.
@Suite struct ReleaseUpgradeTests {
    @Test(arguments: StoreKind.allCases, [false, true])
    func everyRecordAndCredentialSurvivesTheUpgrade(_ kind: StoreKind, finishing: Bool) async throws {
        let fixture = try ReleaseFixture.load()
        let opened: (any Store)? = kind == .sqlite ? try fixture.openSQLite() : try await fixture.openPostgres()
        guard let store = opened else { return }
        let held = kind == .sqlite ? fixture.sqlite : fixture.postgres
        let clock = TestClock(Date(timeIntervalSince1970: TimeInterval(fixture.created + 60)))
        let notes = try await store.migrate(at: clock.now, finishing: finishing)
        let waiting = notes.contains { $0.contains("tessera migrate --finish") }
        // SQLite has no older instance beside it: every step runs at once.
        #expect(waiting == (kind == .postgres && !finishing), "\(notes)")
        #expect(try await store.migrate(at: clock.now, finishing: finishing).count == (waiting ? 1 : 0))  // idempotent
        #expect(try await store.olderReleasesMayServe() == waiting)
        #expect(try await store.masterKeyFingerprint(proposed: "another key") == fixture.masterKey.fingerprint)
        let settings = Settings(publicURL: held.public_url, accessTokenLifetime: 86_400, refreshTokenLifetime: 31_536_000)
        let services = TestServices.make(store, clock: clock, settings: settings, masterKey: fixture.masterKey)
        let site = try await services.sites.site(forHost: nil)
        #expect(site.id.lowercasedString == held.tenant_id)
        #expect(site.branding == SiteBranding(logoURL: "https://app.example.org/logo.png", colour: "#225588"))

        // Users, with their ids and guids.
        for (name, person) in held.people {
            let user = try #require(try await store.user(site: site.id, username: name))
            #expect(user.id == person.id && user.guid.lowercasedString == person.guid)
        }
        #expect(try await store.userCount(site: site.id) == 5)
        let alice = try #require(try await store.user(site: site.id, username: "alice"))
        #expect(try await services.accounts.signIn(site: site, username: "admin", password: held.admin.password, clientAddress: "t").user.id == 1)

        // Auth tokens, and the revocation of one.
        #expect(try await services.accounts.user(forAuthToken: held.admin.authtoken, site: site).id == 1)
        #expect(try await services.accounts.user(forAuthToken: held.alice_authtoken, site: site).id == alice.id)
        await expectRefused { _ = try await services.accounts.user(forAuthToken: held.bob_revoked_authtoken, site: site) }

        // Developer tokens: a server token's signature and its long-term JWT (both bound to alice), the OAuth token as a client.
        let signature = RequestSignature.sign(key: held.server_token.key, secret: held.server_token.secret, epoch: clock.epoch, user: "=alice")
        #expect(try await services.credentials.verifySignature(signature, site: site).user.id == alice.id)
        #expect(try await services.credentials.verifyLongTermJWT(held.server_token.jwt, site: site).user.id == alice.id)
        let oauthRequest = TokenRequest(parameters: [:], basic: (id: held.oauth_token.key, secret: held.oauth_token.secret),
                                        endpointURL: held.public_url + "/auth/introspect", clientAddress: "t")
        #expect(try await services.clients.authenticate(oauthRequest, site: site, accepting: .all)?.developerToken?.id == held.oauth_token.id)

        // CXone: the access key, the access token (signed by a key sealed in the store), the clients' secrets.
        #expect(try await services.accessKeys.authenticate(id: held.access_key.id, secret: held.access_key.secret, site: site,
                                                           clientAddress: "t").id == alice.id)
        #expect(try await services.cxoneTokens.verifyAccessToken(held.access_token, site: site).user.id == alice.id)
        #expect(try await services.keyRing.verifyingKeys(site: site.id).count == 2)
        for client in [held.backend_client, held.confidential_client] {
            let request = TokenRequest(parameters: [:], basic: (id: client.id, secret: client.secret), endpointURL: held.public_url + "/auth/token",
                                       clientAddress: "t")
            #expect(try await services.clients.authenticate(request, site: site, accepting: .applications)?.id == client.id)
        }

        // The refresh-token family: the live token rotates; the spent one, presented again, ends the session.
        let rotated = try await services.cxoneTokens.refresh(held.live_refresh_token, site: site, clientID: nil)
        #expect(rotated.familyID.lowercasedString == held.session_id)
        do {
            _ = try await services.cxoneTokens.refresh(held.spent_refresh_token, site: site, clientID: nil)
            Issue.record("a spent refresh token refreshed")
        } catch {
            #expect(error.code == "invalid_grant")
        }
        await expectRefused { _ = try await services.cxoneTokens.refresh(try #require(rotated.refreshToken), site: site, clientID: nil) }

        // Legacy tokens stay on, with the same key; the audit trail is still there.
        #expect(try await services.legacyTokens.userForAPIKey(held.legacy_api_key, impersonate: "=alice", site: site).id == alice.id)
        #expect(try await store.auditEvents(site: site.id, offset: 0, limit: 100).count >= 5)
        try await store.close()
    }

    private func expectRefused(sourceLocation: SourceLocation = #_sourceLocation, _ body: () async throws -> Void) async {
        do {
            try await body()
            Issue.record("expected a refusal", sourceLocation: sourceLocation)
        } catch {}
    }
}
