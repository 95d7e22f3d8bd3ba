import Foundation
import Hummingbird
import HummingbirdTesting
import Logging
import NIOCore
import Testing
@testable import TesseraCore
import TesseraCrypto
import TesseraStore
@testable import TesseraServer

typealias AppClient = TesseraCore.Application

/// `/auth/token` over HTTP: the authorization-code grant (whose browser side, /auth/authorize, is not built yet:
/// codes are issued through the service here), and malformed token requests.
@Suite struct OAuthGrantTests {
    struct Fixture {
        var services: Services
        var site: Site
        var confidential: AppClient
        var secret: String
        var publicApp: AppClient
    }

    static let redirect = "https://app.example/callback"

    static func fixture() async throws -> Fixture {
        let services = try await HTTPTests.services()
        let site = try #require(try await services.store.sites().first(where: \.isDefault))
        let (confidential, secret) = try await services.registrations.registerApproved(
            RegistrationForm(name: "Agent", type: .confidential, authMethod: .clientSecretPost, redirectURIs: [redirect]), site: site)
        let (publicApp, _) = try await services.registrations.registerApproved(
            RegistrationForm(name: "SPA", type: .public, authMethod: .none, redirectURIs: [redirect]), site: site)
        return Fixture(services: services, site: site, confidential: confidential, secret: try #require(secret), publicApp: publicApp)
    }

    static func form(_ fields: [(String, String)]) -> ByteBuffer {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~")
        return ByteBuffer(string: fields.map { "\($0)=\($1.addingPercentEncoding(withAllowedCharacters: allowed)!)" }.joined(separator: "&"))
    }

    /// The `error` member of an OAuth error body.
    static func error(_ buffer: ByteBuffer) throws -> String? {
        let body = try json(buffer)
        return body["error"] as? String
    }

    static func json(_ buffer: ByteBuffer) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(buffer: buffer)) as? [String: Any])
    }

    static let verifier = String(repeating: "verifier-", count: 6)
    static var challenge: String { Base64URL.encode(Secrets.sha256(Array(verifier.utf8))) }

    func code(_ f: Fixture, client: AppClient, challenge: String? = OAuthGrantTests.challenge) async throws -> String {
        let admin = try #require(try await f.services.store.user(site: f.site.id, id: 1))
        return try await f.services.authorize.issueCode(client: OAuthClient(.application(client)), user: admin, redirectURI: Self.redirect,
                                                        codeChallenge: challenge, nonce: "nonce-1", scope: "openid", authTime: 1_800_000_000,
                                                        site: f.site)
    }

    @Test func aCodeIsExchangedOnceWithItsVerifierAndASecondUseRevokesItsTokens() async throws {
        let f = try await Self.fixture()
        let code = try await code(f, client: f.confidential)
        try await HTTPTests.app(f.services).test(.live) { client in
            let exchange = Self.form([("grant_type", "authorization_code"), ("code", code), ("redirect_uri", Self.redirect),
                                      ("client_id", f.confidential.clientID), ("client_secret", f.secret), ("code_verifier", Self.verifier)])
            let tokens = try await client.execute(uri: "/auth/token", method: .post, headers: [.contentType: "application/x-www-form-urlencoded"],
                                                  body: exchange) { response in
                #expect(response.status == .ok)
                #expect(response.headers[.cacheControl] == "no-store")
                return try Self.json(response.body)
            }
            let idText = try #require(tokens["id_token"] as? String)
            let idToken = try #require(CompactJWT.parse(idText))
            let access = try #require(tokens["access_token"] as? String)
            #expect(idToken.claims["nonce"]?.string == "nonce-1")
            #expect(idToken.time("auth_time") == 1_800_000_000)
            #expect(idToken.claims["aud"]?.string == f.confidential.clientID)
            #expect(idToken.claims["at_hash"]?.string == Base64URL.encode(Secrets.sha256(Array(access.utf8)).prefix(16)))
            let refresh = try #require(tokens["refresh_token"] as? String)
            try await client.execute(uri: "/auth/userinfo", method: .get, headers: [.authorization: "Bearer \(access)"]) { response in
                #expect(response.status == .ok)
            }

            // The same code again: refused, and the refresh token and the access token it produced are revoked.
            try await client.execute(uri: "/auth/token", method: .post, headers: [.contentType: "application/x-www-form-urlencoded"],
                                     body: exchange) { response in
                #expect(response.status == .badRequest)
                let error = try Self.error(response.body)
                    #expect(error == "invalid_grant")
            }
            try await client.execute(uri: "/auth/token", method: .post, headers: [.contentType: "application/x-www-form-urlencoded"],
                                     body: Self.form([("grant_type", "refresh_token"), ("refresh_token", refresh),
                                                      ("client_id", f.confidential.clientID), ("client_secret", f.secret)])) { response in
                #expect(response.status == .badRequest)
                let error = try Self.error(response.body)
                    #expect(error == "invalid_grant")
            }
            try await client.execute(uri: "/auth/userinfo", method: .get, headers: [.authorization: "Bearer \(access)"]) { response in
                #expect(response.status == .unauthorized)
            }
        }
    }

    @Sendable static func codeFields(_ code: String, redirect: String? = OAuthGrantTests.redirect, verifier: String? = OAuthGrantTests.verifier,
                                     client: [(String, String)]) -> [(String, String)] {
        var fields = [("grant_type", "authorization_code"), ("code", code)]
        if let redirect { fields.append(("redirect_uri", redirect)) }
        if let verifier { fields.append(("code_verifier", verifier)) }
        return fields + client
    }

    @Test func codesAreBoundToVerifierRedirectClientAndTime() async throws {
        let f = try await Self.fixture()
        let post = [("client_id", f.confidential.clientID), ("client_secret", f.secret)]
        let confidentialID = f.confidential.clientID, publicID = f.publicApp.clientID
        let cases: [(name: String, fields: @Sendable (String) -> [(String, String)], error: String)] = [
            ("wrong verifier", { Self.codeFields($0, verifier: String(repeating: "x", count: 50), client: post) }, "invalid_grant"),
            ("short verifier", { Self.codeFields($0, verifier: "short", client: post) }, "invalid_grant"),
            ("no verifier", { Self.codeFields($0, verifier: nil, client: post) }, "invalid_grant"),
            ("other redirect", { Self.codeFields($0, redirect: OAuthGrantTests.redirect + "/x", client: post) }, "invalid_grant"),
            ("no redirect", { Self.codeFields($0, redirect: nil, client: post) }, "invalid_request"),
            ("wrong secret", { Self.codeFields($0, client: [("client_id", confidentialID), ("client_secret", "nope")]) }, "invalid_client"),
            ("another client", { Self.codeFields($0, client: [("client_id", publicID)]) }, "invalid_grant"),
        ]
        try await HTTPTests.app(f.services).test(.live) { client in
            for testCase in cases {
                let code = try await code(f, client: f.confidential)
                try await client.execute(uri: "/auth/token", method: .post, headers: [.contentType: "application/x-www-form-urlencoded"],
                                         body: Self.form(testCase.fields(code))) { response in
                    let body = try Self.json(response.body)
                    #expect(body["error"] as? String == testCase.error, "\(testCase.name)")
                    #expect(response.status == (testCase.error == "invalid_client" ? .unauthorized : .badRequest), "\(testCase.name)")
                }
            }
            // A public client must have used PKCE; with it, the client id alone authenticates it.
            let bare = try await code(f, client: f.publicApp, challenge: nil)
            try await client.execute(uri: "/auth/token", method: .post, headers: [.contentType: "application/x-www-form-urlencoded"],
                                     body: Self.form([("grant_type", "authorization_code"), ("code", bare), ("redirect_uri", Self.redirect),
                                                      ("client_id", f.publicApp.clientID)])) { response in
                let error = try Self.error(response.body)
                    #expect(error == "invalid_grant")
            }
            let pkce = try await code(f, client: f.publicApp)
            try await client.execute(uri: "/auth/token", method: .post, headers: [.contentType: "application/x-www-form-urlencoded"],
                                     body: Self.form([("grant_type", "authorization_code"), ("code", pkce), ("redirect_uri", Self.redirect),
                                                      ("client_id", f.publicApp.clientID), ("code_verifier", Self.verifier)])) { response in
                #expect(response.status == .ok)
            }
            // An expired code (stored 61 s ago).
            let expired = "expired-code-value"
            let admin = try #require(try await f.services.store.user(site: f.site.id, id: 1))
            try await f.services.store.insertAuthorizationCode(AuthorizationCode(
                hash: f.services.cxoneTokens.refreshHash(expired), siteID: f.site.id, clientID: f.confidential.clientID, userID: admin.id,
                redirectURI: Self.redirect, codeChallenge: nil, nonce: nil, scope: "openid", authTime: 0, familyID: UUID(),
                createdAt: Date().addingTimeInterval(-61), expiresAt: Date().addingTimeInterval(-1)))
            try await client.execute(uri: "/auth/token", method: .post, headers: [.contentType: "application/x-www-form-urlencoded"],
                                     body: Self.form([("grant_type", "authorization_code"), ("code", expired), ("redirect_uri", Self.redirect)]
                                                     + post)) { response in
                let error = try Self.error(response.body)
                    #expect(error == "invalid_grant")
            }
        }
    }

    /// Malformed token requests: each gets its OAuth error, never a 500, and the answer is not cacheable.
    @Test func malformedTokenRequestsGetOAuthErrors() async throws {
        let f = try await Self.fixture()
        let basic = "Basic " + Data("\(f.confidential.clientID):\(f.secret)".utf8).base64EncodedString()
        let rows: [(String, HTTPFields, String, HTTPResponse.Status, String)] = [
            ("empty body", [.contentType: "application/x-www-form-urlencoded"], "", .badRequest, "invalid_request"),
            ("unknown grant", [.contentType: "application/x-www-form-urlencoded"], "grant_type=client_credentials", .badRequest, "unsupported_grant_type"),
            ("grant twice", [.contentType: "application/x-www-form-urlencoded"], "grant_type=password&grant_type=password", .badRequest, "invalid_request"),
            ("bad escape", [.contentType: "application/x-www-form-urlencoded"], "grant_type=pass%zzword", .badRequest, "invalid_request"),
            ("truncated escape", [.contentType: "application/x-www-form-urlencoded"], "grant_type=password%2", .badRequest, "invalid_request"),
            ("invalid UTF-8", [.contentType: "application/x-www-form-urlencoded"], "grant_type=%ff%fe", .badRequest, "invalid_request"),
            ("broken JSON", [.contentType: "application/json"], "{\"grant_type\": ", .badRequest, "invalid_request"),
            ("XML", [.contentType: "application/xml"], "<grant/>", .unsupportedMediaType, "invalid_request"),
            ("bearer instead of basic", [.contentType: "application/x-www-form-urlencoded", .authorization: "Bearer abc"],
             "grant_type=password&username=a&password=b", .unauthorized, "invalid_client"),
            ("basic not base64", [.contentType: "application/x-www-form-urlencoded", .authorization: "Basic !!!"],
             "grant_type=password&username=a&password=b", .unauthorized, "invalid_client"),
            ("basic without colon", [.contentType: "application/x-www-form-urlencoded", .authorization: "Basic " + Data("abc".utf8).base64EncodedString()],
             "grant_type=password&username=a&password=b", .unauthorized, "invalid_client"),
            ("two client methods", [.contentType: "application/x-www-form-urlencoded", .authorization: basic],
             "grant_type=password&username=a&password=b&client_secret=x&client_id=\(f.confidential.clientID)", .badRequest, "invalid_request"),
            ("unknown client", [.contentType: "application/x-www-form-urlencoded"],
             "grant_type=password&username=a&password=b&client_id=nobody&client_secret=x", .unauthorized, "invalid_client"),
            ("password grant without client", [.contentType: "application/x-www-form-urlencoded"],
             "grant_type=password&username=a&password=b", .unauthorized, "invalid_client"),
            ("password grant by a confidential app", [.contentType: "application/x-www-form-urlencoded"],
             "grant_type=password&username=a&password=b&client_id=\(f.confidential.clientID)&client_secret=\(f.secret.addingPercentEncoding(withAllowedCharacters: .alphanumerics)!)",
             .badRequest, "unauthorized_client"),
            ("refresh without token", [.contentType: "application/x-www-form-urlencoded"], "grant_type=refresh_token", .badRequest, "invalid_request"),
            ("unknown refresh token", [.contentType: "application/x-www-form-urlencoded"], "grant_type=refresh_token&refresh_token=nope",
             .badRequest, "invalid_grant"),
            ("oversized refresh token", [.contentType: "application/x-www-form-urlencoded"],
             "grant_type=refresh_token&refresh_token=" + String(repeating: "a", count: 4000), .badRequest, "invalid_grant"),
            ("assertion of wrong type", [.contentType: "application/x-www-form-urlencoded"],
             "grant_type=password&client_assertion=a.b.c&client_assertion_type=x", .badRequest, "invalid_request"),
            ("garbage assertion", [.contentType: "application/x-www-form-urlencoded"],
             "grant_type=password&client_assertion=abc&client_assertion_type=urn%3Aietf%3Aparams%3Aoauth%3Aclient-assertion-type%3Ajwt-bearer",
             .unauthorized, "invalid_client"),
        ]
        try await HTTPTests.app(f.services).test(.live) { client in
            for (name, headers, body, status, expected) in rows {
                try await client.execute(uri: "/auth/token", method: .post, headers: headers, body: ByteBuffer(string: body)) { response in
                    #expect(response.status == status, "\(name)")
                    let error = try Self.error(response.body)
                    #expect(error == expected, "\(name)")
                    #expect(response.headers[.cacheControl] == "no-store", "\(name)")
                }
            }
        }
    }

    @Test(arguments: [
        ("a=1&b=2", ["a": "1", "b": "2"]), ("a=x+y%2B%3D", ["a": "x y+="]), ("a", ["a": ""]), ("a=&b", ["a": "", "b": ""]),
        ("&&a=1&&", ["a": "1"]), ("=x&a=1", ["a": "1"]), ("a=%C3%A9", ["a": "é"]), ("a=b=c", ["a": "b=c"]),
    ])
    func formBodiesDecode(_ body: String, _ expected: [String: String]) throws {
        #expect(try CXoneIO.form(Array(body.utf8)) == expected)
    }

    @Test(arguments: ["a=%", "a=%4", "a=%G1", "a=1&a=2", "%zz=1", "a=%C3", "a=%00%ff"])
    func malformedFormBodiesAreRefused(_ body: String) {
        #expect(throws: ServiceError.self) { try CXoneIO.form(Array(body.utf8)) }
    }
}
