import Foundation
import Synchronization
import Testing
import TesseraCore
import TesseraCrypto
import TesseraTestSupport

/// The trust rules on both stores: scopes, token exchange, what a password change or a deactivation ends, identity
/// links, consent withdrawal, sealed site keys.
@Suite struct TrustRulesTests {
    /// An application's token, as caller resolution would make its caller.
    static func delegated(_ w: World, _ user: User, scope: String, client: String = "app") -> Caller {
        Caller(site: w.site, user: user, kind: .accessToken, scopes: Scope.set(scope), clientID: client)
    }

    @Test func scopesLimitWhatAnApplicationsTokenReaches() throws {
        let site = StoreFixtures.site()
        let admin = StoreFixtures.user(site: site, id: 1, username: "admin", role: .admin)
        let firstHand = Caller(site: site, user: admin, kind: .authToken)
        try firstHand.require(.admin)
        try firstHand.requireFirstHand("x")
        let openid = Caller(site: site, user: admin, kind: .accessToken, scopes: [Scope.openid], clientID: "app")
        for permission in [Permission.admin, .tokenAdministration, .accessKey, .myAccessKey] {
            #expect(throws: ServiceError.insufficientScope(Scope.admin)) { try openid.require(permission) }
        }
        try openid.require(.read)
        #expect(throws: ServiceError.insufficientScope(Scope.admin)) { try openid.require(scope: Scope.admin) }
        let adminScope = Caller(site: site, user: admin, kind: .accessToken, scopes: [Scope.openid, Scope.admin], clientID: "app")
        try adminScope.require(.admin)
        try adminScope.require(anyOf: [.myAccessKey, .accessKey])
        #expect(throws: ServiceError.self) { try adminScope.requireFirstHand("setting a password") }
        // The scope never widens the role.
        let viewer = StoreFixtures.user(site: site, id: 3, username: "v", role: .viewer)
        let viewerWithAdminScope = Caller(site: site, user: viewer, kind: .accessToken, scopes: [Scope.admin], clientID: "app")
        #expect(throws: ServiceError.self) { try viewerWithAdminScope.require(.admin) }
    }

    /// A registered origin is matched without case, by ASCII bytes: U+212A (Kelvin) lower-cases to `k` as a String,
    /// and must not stand for it.
    @Test(arguments: StoreKind.allCases)
    func registeredOriginsMatchByASCIIBytes(_ kind: StoreKind) async throws {
        guard let w = try await World.make(kind) else { return }
        _ = try await w.services.registrations.registerApproved(
            RegistrationForm(name: "Kiosk", type: .public, redirectURIs: ["https://kiosk.example/cb"], origins: ["https://kiosk.example"]), site: w.site)
        #expect(try await w.services.directory.isRegisteredOrigin("https://kiosk.example"))
        #expect(try await w.services.directory.isRegisteredOrigin("HTTPS://KIOSK.EXAMPLE"))
        #expect("https://\u{212A}iosk.example".lowercased() == "https://kiosk.example")  // (what made `lowercased()` wrong)
        #expect(try await !w.services.directory.isRegisteredOrigin("https://\u{212A}iosk.example"))
        #expect(try await !w.services.directory.isRegisteredOrigin("https://kiosk.example.evil"))
        try await w.close()
    }

    @Test(arguments: StoreKind.allCases)
    func applicationTokensNeverSetPasswordsAndWithdrawalEndsWhatTheyCreated(_ kind: StoreKind) async throws {
        guard let w = try await World.make(kind) else { return }
        let asApp = Self.delegated(w, w.admin, scope: "openid tessera.admin")
        await World.expectRefusal({ if case .insufficientScope = $0 { true } else { false } }) {
            _ = try await w.services.accounts.createUser(UserChanges(username: "x", password: "some-password-1"), caller: asApp)
        }
        _ = try await w.services.accounts.createUser(UserChanges(username: "nopass"), caller: asApp)
        // What the application creates through the administrative scope is recorded as its, and dies with the consent.
        let token = try await w.services.developerTokens.create(NewDeveloperToken(type: .server, name: "by app"), caller: asApp, clientAddress: "t")
        #expect(token.token.createdByClient == "app")
        let key = try await w.services.accessKeys.create(for: w.admin, caller: asApp, clientAddress: "t")
        let own = try await w.services.accessKeys.create(for: w.admin, caller: w.adminCaller, clientAddress: "t")
        try await w.services.consents.record(user: w.admin, clientID: "app", clientName: "App", scope: "openid tessera.admin", site: w.site)
        try await w.services.consents.withdraw(user: w.admin, clientID: "app", site: w.site, clientAddress: "t")
        #expect(try await w.store.developerTokens(site: w.site.id).contains { $0.id == token.token.id } == false)
        #expect(try await w.store.accessKey(site: w.site.id, id: key.key.id) == nil)
        #expect(try await w.store.accessKey(site: w.site.id, id: own.key.id) != nil)
        try await w.close()
    }

    @Test(arguments: StoreKind.allCases)
    func anExchangeNeverWidensNorOutlivesItsSubject(_ kind: StoreKind) async throws {
        guard let w = try await World.make(kind) else { return }
        let (app, secret) = try await w.application(.confidential)
        let (publicApp, _) = try await w.application(.public)
        let subject = try await w.services.cxoneTokens.issue(user: w.admin, site: w.site, clientID: app.clientID, scope: "openid")
        w.clock.advance(by: 600)
        func exchange(_ extra: [String: String] = [:], basic: (String, String)?) async throws -> IssuedTokens {
            var p = ["grant_type": TokenExchangeGrant.type, "subject_token": subject.accessToken, "subject_token_type": TokenExchangeGrant.accessTokenType]
            p.merge(extra) { $1 }
            return try await w.services.tokenEndpoint.token(w.request(p, basic: basic), site: w.site)
        }
        let basic = (app.clientID, try #require(secret))
        await World.expectOAuthError("invalid_scope") { _ = try await exchange(["scope": "openid tessera.admin"], basic: basic) }
        await World.expectOAuthError("unauthorized_client") { _ = try await exchange(["client_id": publicApp.clientID], basic: nil) }
        await World.expectOAuthError("invalid_client") { _ = try await exchange(basic: nil) }
        let exchanged = try await exchange(basic: basic)
        #expect(exchanged.refreshToken == nil && exchanged.scope == "openid")
        let verified = try await w.services.cxoneTokens.verifyAccessToken(exchanged.accessToken, site: w.site)
        let original = try await w.services.cxoneTokens.verifyAccessToken(subject.accessToken, site: w.site)
        #expect(verified.expires <= original.expires && verified.sessionID == original.sessionID && !verified.firstHand)
        // Ending the subject's session ends the exchanged token.
        try await w.services.cxoneTokens.endSession(family: subject.familyID, site: w.site.id)
        await World.expectRefusal(\.isUnauthenticated) { _ = try await w.services.cxoneTokens.verifyAccessToken(exchanged.accessToken, site: w.site) }
        try await w.close()
    }

    @Test(arguments: StoreKind.allCases)
    func aPasswordChangeEndsSessionsButNotAccessKeys(_ kind: StoreKind) async throws {
        guard let w = try await World.make(kind) else { return }
        let bob = try await w.user("bob")
        let bobCaller = Caller(site: w.site, user: bob, kind: .authToken)
        let key = try await w.services.accessKeys.create(for: bob, caller: bobCaller, clientAddress: "t")
        let before = try await w.services.accessKeys.exchange(id: key.key.id, secret: key.secret, site: w.site, clientAddress: "t")
        // The same millisecond-precise clock second: what was issued before the change is void, what is issued after works.
        _ = try await w.services.accounts.updateUser(.id(bob.id), changes: UserChanges(password: "a-new-password-2"), caller: w.adminCaller)
        await World.expectRefusal(\.isUnauthenticated) { _ = try await w.services.cxoneTokens.verifyAccessToken(before.accessToken, site: w.site) }
        await World.expectOAuthError("invalid_grant") {
            _ = try await w.services.cxoneTokens.refresh(try #require(before.refreshToken), site: w.site, clientID: nil)
        }
        w.clock.advance(by: 0.01)
        let after = try await w.services.accessKeys.exchange(id: key.key.id, secret: key.secret, site: w.site, clientAddress: "t")
        #expect(try await w.services.cxoneTokens.verifyAccessToken(after.accessToken, site: w.site).user.id == bob.id)
        _ = try await w.services.cxoneTokens.refresh(try #require(after.refreshToken), site: w.site, clientID: nil)
        try await w.close()
    }

    @Test(arguments: StoreKind.allCases)
    func anAccessKeysLastUseIsKeptToTheMinuteAndADeactivatedKeyStaysDeactivated(_ kind: StoreKind) async throws {
        guard let w = try await World.make(kind) else { return }
        let bob = try await w.user("bob")
        let key = try await w.services.accessKeys.create(for: bob, caller: Caller(site: w.site, user: bob, kind: .authToken), clientAddress: "t")
        func lastUsed() async throws -> Date? { try await w.store.accessKey(site: w.site.id, id: key.key.id)?.lastUsedAt }
        let first = w.clock.now
        _ = try await w.services.accessKeys.exchange(id: key.key.id, secret: key.secret, site: w.site, clientAddress: "t")
        #expect(try await lastUsed() == first)
        // Within the minute another exchange writes nothing; past it, the time is written again.
        w.clock.advance(by: AccessKeyService.lastUseResolution - 1)
        _ = try await w.services.accessKeys.exchange(id: key.key.id, secret: key.secret, site: w.site, clientAddress: "t")
        #expect(try await lastUsed() == first)
        w.clock.advance(by: 1)
        _ = try await w.services.accessKeys.exchange(id: key.key.id, secret: key.secret, site: w.site, clientAddress: "t")
        let second = w.clock.now
        #expect(try await lastUsed() == second)
        // A time ahead of this clock (written by an instance whose clock runs fast) is written over at once.
        #expect(try await w.store.markAccessKeyUsed(site: w.site.id, id: key.key.id, at: second.addingTimeInterval(3600)))
        _ = try await w.services.accessKeys.exchange(id: key.key.id, secret: key.secret, site: w.site, clientAddress: "t")
        #expect(try await lastUsed() == second)
        // Deactivating changes only the flag (last use stays); a deactivated key gets no tokens, and stays deactivated.
        let off = try await w.services.accessKeys.setActive(key.key.id, active: false, caller: w.adminCaller, clientAddress: "t")
        #expect(off.isActive == false)
        w.clock.advance(by: AccessKeyService.lastUseResolution)
        await World.expectOAuthError("invalid_grant") {
            _ = try await w.services.accessKeys.exchange(id: key.key.id, secret: key.secret, site: w.site, clientAddress: "t")
        }
        let stored = try #require(try await w.store.accessKey(site: w.site.id, id: key.key.id))
        #expect(stored.isActive == false && stored.lastUsedAt == second)
        try await w.close()
    }

    @Test(arguments: StoreKind.allCases)
    func usernamesAreOneNameWhateverTheirUnicodeForm(_ kind: StoreKind) async throws {
        guard let w = try await World.make(kind) else { return }
        let zoe = try await w.user("zo\u{65}\u{308}")  // decomposed
        #expect(Array(zoe.username.utf8) == Array("zo\u{EB}".utf8))  // stored composed
        #expect(try await w.store.user(site: w.site.id, username: "ZO\u{CB}")?.id == zoe.id)
        #expect(try await w.store.user(site: w.site.id, username: "zoe\u{308}")?.id == zoe.id)
        await World.expectRefusal(\.isConflict) { _ = try await w.user("zo\u{EB}") }
        // A look-alike from another script is another name.
        let cyrillic = try await w.user("zo\u{451}")
        #expect(cyrillic.id != zoe.id)
        try await w.close()
    }

    @Test(arguments: StoreKind.allCases)
    func siteKeysAreSealedAtRestAndOpenOnlyWithTheMasterKey(_ kind: StoreKind) async throws {
        guard let w = try await World.make(kind) else { return }
        let stored = try #require(try await w.store.sites().first { $0.id == w.site.id })
        #expect(SiteKeySeal.isSealed(stored.authTokenKey))
        #expect(stored.authTokenKey != w.site.authTokenKey)
        #expect(SiteKeySeal(masterKey: .generate()).open(stored.authTokenKey, site: w.site.id) == nil)
        // A key stored in clear (by an older release) is sealed by the next start and still opens to itself.
        let clear = Secrets.randomBytes(32)
        try await w.store.updateAuthTokenKey(site: w.site.id, clear)
        #expect(try await w.services.siteService.sealStoredKeys() == 1)
        let resealed = try #require(try await w.store.sites().first { $0.id == w.site.id })
        #expect(SiteKeySeal.isSealed(resealed.authTokenKey))
        w.services.sites.invalidate()
        #expect(try await w.services.sites.site(id: w.site.id)?.authTokenKey == clear)
        try await w.close()
    }

    /// A code from the authorization endpoint, as the consent page gives it after a sign-in; and its redemption.
    private static func code(_ w: World, _ app: Application, user: User, session: SignInSession) async throws -> String {
        let pairs = [("client_id", app.clientID), ("redirect_uri", "https://app.example/cb"), ("response_type", "code"), ("scope", "openid")]
        guard case .success(let request) = try await w.services.authorize.validate(pairs, flow: .openID, site: w.site) else {
            throw ServiceError.invalidInput("authorization request refused")
        }
        let location = try await w.services.authorize.consent(request, user: user, session: session, allow: true, site: w.site, clientAddress: "t")
        return try #require(URLComponents(string: location)?.queryItems?.first { $0.name == "code" }?.value)
    }

    private static func redeem(_ w: World, _ app: Application, secret: String, code: String) async throws -> IssuedTokens {
        try await w.services.tokenEndpoint.token(w.request(["grant_type": "authorization_code", "code": code, "redirect_uri": "https://app.example/cb"],
                                                           basic: (app.clientID, secret)), site: w.site)
    }

    /// A code not yet redeemed when its sign-in session, the password, the account or the consent ends gives nothing.
    @Test(arguments: StoreKind.allCases)
    func aCodeIssuedBeforeItsSessionEndedGivesNothing(_ kind: StoreKind) async throws {
        guard let w = try await World.make(kind) else { return }
        let (app, secret) = try await w.application(.confidential)
        let appSecret = try #require(secret)
        let carol = try await w.user("carol")
        let endings: [(String, () async throws -> Void)] = [
            ("sign-out", {}),
            ("password change", {
                _ = try await w.services.accounts.updateUser(.id(carol.id), changes: UserChanges(password: "another-password-3"), caller: w.adminCaller)
            }),
            ("deactivation", {
                _ = try await w.services.accounts.updateUser(.id(carol.id), changes: UserChanges(status: .inactive), caller: w.adminCaller)
                _ = try await w.services.accounts.updateUser(.id(carol.id), changes: UserChanges(status: .active), caller: w.adminCaller)
            }),
            ("consent withdrawal", {
                let current = try #require(try await w.store.user(site: w.site.id, id: carol.id))
                try await w.services.consents.withdraw(user: current, clientID: app.clientID, site: w.site, clientAddress: "t")
            }),
        ]
        var password = "user-password-1"
        for (name, end) in endings {
            let (user, session) = try await w.services.authorize.signIn(site: w.site, username: "carol", password: password, clientAddress: "t")
            let code = try await Self.code(w, app, user: user, session: session)
            if name == "sign-out" { try await w.services.authorize.signOut(session, site: w.site) } else { try await end() }
            if name == "password change" { password = "another-password-3" }
            await World.expectOAuthError("invalid_grant") { _ = try await Self.redeem(w, app, secret: appSecret, code: code) }
            // A code issued afterwards, even within the same millisecond's second, works.
            w.clock.advance(by: 0.01)
            let (again, fresh) = try await w.services.authorize.signIn(site: w.site, username: "carol", password: password, clientAddress: "t")
            let issued = try await Self.redeem(w, app, secret: appSecret, code: try await Self.code(w, app, user: again, session: fresh))
            #expect(try await w.services.cxoneTokens.verifyAccessToken(issued.accessToken, site: w.site).user.id == carol.id, "\(name)")
        }
        try await w.close()
    }

    /// Two sign-ins of one user in the same second are two sessions: signing out of one leaves the other.
    @Test(arguments: StoreKind.allCases)
    func signingOutEndsOnlyThatSignIn(_ kind: StoreKind) async throws {
        guard let w = try await World.make(kind) else { return }
        let (app, secret) = try await w.application(.confidential)
        _ = try await w.user("dave")
        let (user, first) = try await w.services.authorize.signIn(site: w.site, username: "dave", password: "user-password-1", clientAddress: "t")
        let (_, second) = try await w.services.authorize.signIn(site: w.site, username: "dave", password: "user-password-1", clientAddress: "t")
        #expect(first.string != second.string)
        let kept = try await Self.redeem(w, app, secret: try #require(secret), code: try await Self.code(w, app, user: user, session: second))
        let ended = try await Self.redeem(w, app, secret: try #require(secret), code: try await Self.code(w, app, user: user, session: first))
        try await w.services.authorize.signOut(first, site: w.site)
        await World.expectRefusal(\.isUnauthenticated) { _ = try await w.services.cxoneTokens.verifyAccessToken(ended.accessToken, site: w.site) }
        #expect(try await w.services.cxoneTokens.verifyAccessToken(kept.accessToken, site: w.site).user.id == user.id)
        #expect(try await w.services.authorize.session(second.string, site: w.site) != nil)
        #expect(try await w.services.authorize.session(first.string, site: w.site) == nil)
        try await w.close()
    }

    /// An exchange gives the exchanging client only what it registered, and never the administrative scope.
    @Test(arguments: StoreKind.allCases)
    func anExchangeGivesOnlyWhatTheExchangingClientRegistered(_ kind: StoreKind) async throws {
        guard let w = try await World.make(kind) else { return }
        let (app, secret) = try await w.application(.confidential)
        let subject = try await w.services.cxoneTokens.issue(user: w.admin, site: w.site, clientID: "admin-app", scope: "openid reports tessera.admin")
        let basic = (app.clientID, try #require(secret))
        func exchange(_ scope: String?) async throws -> IssuedTokens {
            var p = ["grant_type": TokenExchangeGrant.type, "subject_token": subject.accessToken, "subject_token_type": TokenExchangeGrant.accessTokenType]
            p["scope"] = scope
            return try await w.services.tokenEndpoint.token(w.request(p, basic: basic), site: w.site)
        }
        #expect(try await exchange(nil).scope == "openid")
        await World.expectOAuthError("invalid_scope") { _ = try await exchange("openid tessera.admin") }
        await World.expectOAuthError("invalid_scope") { _ = try await exchange("openid reports") }
        try await w.close()
    }

    /// An application's token gives a long-term JWT only to a developer token it created.
    @Test(arguments: StoreKind.allCases)
    func anApplicationRegeneratesOnlyTheJWTsOfTokensItCreated(_ kind: StoreKind) async throws {
        guard let w = try await World.make(kind) else { return }
        let own = try await w.services.developerTokens.create(NewDeveloperToken(type: .server, name: "Own", restrictedUserID: w.admin.id),
                                                              caller: w.adminCaller, clientAddress: "t")
        let app = Self.delegated(w, w.admin, scope: "openid tessera.admin")
        await World.expectRefusal({ if case .insufficientScope = $0 { true } else { false } }) {
            _ = try await w.services.developerTokens.update(own.token.id, changes: DeveloperTokenChanges(generateJWT: true), caller: app, clientAddress: "t")
        }
        let made = try await w.services.developerTokens.create(NewDeveloperToken(type: .server, name: "Made", restrictedUserID: w.admin.id),
                                                               caller: app, clientAddress: "t")
        let regenerated = try await w.services.developerTokens.update(made.token.id, changes: DeveloperTokenChanges(generateJWT: true), caller: app,
                                                                      clientAddress: "t")
        #expect(regenerated.jwt != nil)
        try await w.close()
    }
}

/// A token naming a `kid` the ring does not know re-reads the site's keys at most once per interval, so made-up kids
/// cannot turn every request into a store round trip; a key another instance just added is still found.
@Suite struct UnknownKidTests {
    /// The real store, with its reads of signing keys counted.
    final class CountingKeys: SigningKeyStore {
        let store: any Store
        let reads = Mutex(0)
        init(_ store: any Store) { self.store = store }
        func signingKeys(site: UUID) async throws -> [StoredSigningKey] {
            reads.withLock { $0 += 1 }
            return try await store.signingKeys(site: site)
        }
        func addSigningKey(_ key: StoredSigningKey, ifNewestIs newest: String?) async throws -> Bool {
            try await store.addSigningKey(key, ifNewestIs: newest)
        }
    }

    @Test(arguments: StoreKind.allCases)
    func unknownKidsRereadTheRingAtMostOncePerInterval(_ kind: StoreKind) async throws {
        guard let w = try await World.make(kind) else { return }
        let counting = CountingKeys(w.store)
        let master = MasterKey.generate()
        // Two instances that hear nothing of each other (as a command-line rotation beside a SQLite server).
        let ring = KeyRing(store: counting, changes: ChangeFeed(live: true), masterKey: master, now: w.clock.reading)
        let other = KeyRing(store: w.store, changes: ChangeFeed(live: true), masterKey: master, now: w.clock.reading)
        _ = try await ring.signingKey(site: w.site.id)
        let loaded = counting.reads.withLock { $0 }
        for _ in 0..<20 { #expect(try await ring.verifyingKey(site: w.site.id, kid: "made-up") == nil) }
        #expect(counting.reads.withLock { $0 } == loaded + 1)
        // Another instance rotates; within the interval the new kid is not looked for again, after it, it is found.
        let rotated = try await other.rotate(site: w.site.id)
        #expect(try await ring.verifyingKey(site: w.site.id, kid: rotated) == nil)
        w.clock.advance(by: KeyRing.unknownKidInterval)
        #expect(try await ring.verifyingKey(site: w.site.id, kid: rotated)?.kid == rotated)
        #expect(counting.reads.withLock { $0 } == loaded + 2)
        try await w.close()
    }
}
