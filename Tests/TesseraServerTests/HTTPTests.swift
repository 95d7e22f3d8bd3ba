import Argon2
import Foundation
import Hummingbird
import HummingbirdTesting
import Logging
import Testing
import TesseraCore
import TesseraCrypto
import TesseraStore
import TesseraTestSupport
@testable import TesseraServer

/// The whole application on a real loopback port, over a real SQLite file.
@Suite struct HTTPTests {
    static let password = "test-admin-password"

    static func services() async throws -> Services {
        let dir = try TestDirectory.make("http").path
        let store = try StoreFactory.open(databaseURL: nil, dataDirectory: dir, logger: Logger(label: "test"))
        try await store.migrate(at: Date())
        let services = Services(store: store, settings: Settings(publicURL: "http://localhost"), masterKey: .generate(),
                                hasher: PasswordHasher(parameters: Argon2id.Parameters(memoryKiB: 64, iterations: 1, parallelism: 1)),
                                logger: Logger(label: "test"), fetchJWKS: JWKSFetcher.fetch)
        _ = try await services.siteService.bootstrapDefaultSite(adminPassword: password)
        _ = try await services.siteService.createSite(name: "Other", hostnames: ["other.test"], adminPassword: password)
        return services
    }

    static func app(_ services: Services) -> some ApplicationProtocol {
        TesseraApp.application(services: services, host: "127.0.0.1", port: 0, logger: Logger(label: "test"))
    }

    static func basic(_ user: String, _ password: String) -> String {
        "Basic " + Data("\(user):\(password)".utf8).base64EncodedString()
    }

    @Test func signInThenReadCurrentUserInBothFormats() async throws {
        let services = try await Self.services()
        try await Self.app(services).test(.live) { client in
            let token = try await client.execute(uri: "/@api/deki/users/authenticate", method: .get,
                                                 headers: [.authorization: Self.basic("admin", Self.password)]) { response in
                #expect(response.status == .ok)
                let cookie = try #require(response.headers[.setCookie])
                #expect(cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax") && !cookie.contains("Secure"))
                return String(buffer: response.body)
            }
            try await client.execute(uri: "/@api/deki/users/current", method: .get, headers: [.authorization: "Bearer \(token)"]) { response in
                #expect(response.status == .ok)
                let node = try DekiXMLReader.parse(Array(String(buffer: response.body).utf8))
                #expect(node.attribute("id") == "1")
                #expect(node.childText("username") == "admin")
            }
            try await client.execute(uri: "/@api/deki/users/current?dream.out.format=json", method: .get,
                                     headers: [.cookie: "authtoken=\(token)"]) { response in
                let json = try #require(try JSONSerialization.jsonObject(with: Data(buffer: response.body)) as? [String: Any])
                #expect(json["@id"] as? String == "1")
                #expect(json["@anonymous"] as? String == "false")
            }
        }
    }

    @Test func anonymousIsUserTwo() async throws {
        let services = try await Self.services()
        try await Self.app(services).test(.live) { client in
            try await client.execute(uri: "/@api/deki/users/current?dream.out.format=json", method: .get) { response in
                let json = try #require(try JSONSerialization.jsonObject(with: Data(buffer: response.body)) as? [String: Any])
                #expect(json["@id"] as? String == "2")
                #expect(json["@anonymous"] as? String == "true")
                #expect(json["username"] as? String == "Anonymous")
            }
        }
    }

    struct Row: Sendable, CustomTestStringConvertible {
        var label: String
        var method: HTTPRequest.Method
        var uri: String
        var headers: HTTPFields
        var body: String?
        var status: HTTPResponse.Status
        var testDescription: String { label }
    }

    /// Bad input of every kind gets its deki error, never a 500.
    static let badInput: [Row] = [
        Row(label: "no credentials", method: .get, uri: "/@api/deki/users/authenticate", headers: [:], status: .unauthorized),
        Row(label: "wrong password", method: .get, uri: "/@api/deki/users/authenticate", headers: [.authorization: basic("admin", "nope-nope")], status: .unauthorized),
        Row(label: "unknown user", method: .get, uri: "/@api/deki/users/authenticate", headers: [.authorization: basic("ghost", "nope-nope")], status: .unauthorized),
        Row(label: "Basic not base64", method: .get, uri: "/@api/deki/users/authenticate", headers: [.authorization: "Basic %%%"], status: .badRequest),
        Row(label: "Basic without colon", method: .get, uri: "/@api/deki/users/authenticate", headers: [.authorization: "Basic " + Data("admin".utf8).base64EncodedString()], status: .badRequest),
        Row(label: "other scheme at sign-in", method: .post, uri: "/@api/deki/users/authenticate", headers: [.authorization: "Digest x"], status: .unauthorized),
        Row(label: "open redirect", method: .get, uri: "/@api/deki/users/authenticate?redirect=https://evil.example/", headers: [.authorization: basic("admin", password)], status: .badRequest),
        // Neither a JWT nor an auth token: Expert answers 403 "Unable to parse JWT token".
        Row(label: "garbage bearer", method: .get, uri: "/@api/deki/users/current", headers: [.authorization: "Bearer garbage"], status: .forbidden),
        Row(label: "forged token", method: .get, uri: "/@api/deki/users/current", headers: [.cookie: "authtoken=1_4000000000_" + String(repeating: "0", count: 64)], status: .unauthorized),
        Row(label: "expired token", method: .get, uri: "/@api/deki/users/current", headers: [.authorization: "Bearer 1_1000_" + String(repeating: "0", count: 64)], status: .unauthorized),
        Row(label: "unsupported scheme", method: .get, uri: "/@api/deki/users/current", headers: [.authorization: "Token abc"], status: .unauthorized),
        Row(label: "unknown format", method: .get, uri: "/@api/deki/users/current?dream.out.format=yaml", headers: [:], status: .badRequest),
        Row(label: "anonymous lists users", method: .get, uri: "/@api/deki/users", headers: [:], status: .unauthorized),
        Row(label: "unknown route", method: .get, uri: "/@api/deki/nothing", headers: [:], status: .notFound),
        Row(label: "wrong method", method: .delete, uri: "/@api/deki/users/current", headers: [:], status: .methodNotAllowed),
        Row(label: "body over the cap", method: .post, uri: "/@api/deki/users", headers: [.contentType: "application/xml"],
            body: "<user>" + String(repeating: "x", count: Limits.maxBodyBytes) + "</user>", status: .contentTooLarge),
    ]

    @Test(arguments: badInput)
    func badInputGetsDekiErrors(_ row: Row) async throws {
        let services = try await Self.services()
        try await Self.app(services).test(.live) { client in
            try await client.execute(uri: row.uri, method: row.method, headers: row.headers,
                                     body: row.body.map { ByteBuffer(string: $0) }) { response in
                #expect(response.status == row.status)
                let error = try DekiXMLReader.parse(Array(String(buffer: response.body).utf8))
                #expect(error.name == "error")
                #expect(error.childText("status") == String(row.status.code))
                #expect(!(error.childText("message") ?? "").isEmpty)
                #expect(!(error.childText("uri") ?? "").contains("?"))
                if row.status == .unauthorized { #expect(response.headers[.wwwAuthenticate]?.hasPrefix("Basic") == true) }
                if row.status == .methodNotAllowed { #expect(response.headers[.allow] == "GET") }
            }
            // The server still answers afterwards.
            try await client.execute(uri: "/healthz", method: .get) { #expect($0.status == .ok) }
        }
    }

    @Test func adminCreatesAndDeactivatesAUserWhoseTokenThenFails() async throws {
        let services = try await Self.services()
        try await Self.app(services).test(.live) { client in
            let adminToken = try await client.execute(uri: "/@api/deki/users/authenticate", method: .get,
                                                      headers: [.authorization: Self.basic("admin", Self.password)]) { String(buffer: $0.body) }
            let auth: HTTPFields = [.authorization: "Bearer \(adminToken)", .contentType: "application/xml"]
            try await client.execute(uri: "/@api/deki/users?accountpassword=carol-password", method: .post, headers: auth,
                                     body: ByteBuffer(string: "<user><username>carol</username><email>c@example.com</email><fullname>Carol</fullname></user>")) { response in
                #expect(response.status == .ok)
                let created = try DekiXMLReader.parse(Array(String(buffer: response.body).utf8))
                #expect(created.attribute("id") == "3")
            }
            let carolToken = try await client.execute(uri: "/@api/deki/users/authenticate", method: .get,
                                                      headers: [.authorization: Self.basic("carol", "carol-password")]) { String(buffer: $0.body) }
            try await client.execute(uri: "/@api/deki/users/current", method: .get, headers: [.authorization: "Bearer \(carolToken)"]) { #expect($0.status == .ok) }
            // Carol is no administrator.
            try await client.execute(uri: "/@api/deki/users", method: .get, headers: [.authorization: "Bearer \(carolToken)"]) { #expect($0.status == .forbidden) }
            try await client.execute(uri: "/@api/deki/users/=carol", method: .put, headers: auth,
                                     body: ByteBuffer(string: "<user><status>inactive</status></user>")) { #expect($0.status == .ok) }
            try await client.execute(uri: "/@api/deki/users/current", method: .get, headers: [.authorization: "Bearer \(carolToken)"]) { #expect($0.status == .forbidden) }
            // Wrong content type, bad XML, bad values.
            try await client.execute(uri: "/@api/deki/users/3", method: .put, headers: [.authorization: "Bearer \(adminToken)", .contentType: "text/plain"],
                                     body: ByteBuffer(string: "x")) { #expect($0.status == .unsupportedMediaType) }
            try await client.execute(uri: "/@api/deki/users/3", method: .put, headers: auth, body: ByteBuffer(string: "<user>")) { #expect($0.status == .badRequest) }
            try await client.execute(uri: "/@api/deki/users/3", method: .put, headers: auth,
                                     body: ByteBuffer(string: "<user><status>sleeping</status></user>")) { #expect($0.status == .badRequest) }
            try await client.execute(uri: "/@api/deki/users/3", method: .put, headers: auth,
                                     body: ByteBuffer(string: "<page/>")) { #expect($0.status == .badRequest) }
            try await client.execute(uri: "/@api/deki/users/99", method: .get, headers: auth) { #expect($0.status == .notFound) }
        }
    }
}
