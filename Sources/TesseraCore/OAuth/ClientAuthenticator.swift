import Foundation
import Synchronization
import TesseraCrypto

/// The one client authentication of every OAuth endpoint — the token endpoints (`/auth/token`, Expert's
/// `access.json` and `device.json`), introspection and revocation: `client_secret_basic`, `client_secret_post`,
/// `client_secret_jwt` (RFC 7523) and, for public clients, the client id alone. It also finds clients for the
/// authorization and logout endpoints, with the same rule about which clients serve a site.
public final class ClientAuthenticator: Sendable {
    public static let jwtBearerAssertion = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"

    private let directory: Directory
    private let credentials: CredentialService
    private let assertions: any GrantStore
    private let masterKey: MasterKey
    private let settings: Settings
    private let audit: AuditLog
    /// Applications' published keys (`private_key_jwt`), re-read for an unknown kid at most every 5 s.
    private let applicationKeys: ForeignKeySet
    private let now: @Sendable () -> Date

    public init(directory: Directory, credentials: CredentialService, assertions: any GrantStore, masterKey: MasterKey, settings: Settings, audit: AuditLog,
                fetchJWKS: @escaping @Sendable (String) async throws -> [UInt8], now: @escaping @Sendable () -> Date = { Date() }) {
        self.applicationKeys = ForeignKeySet(fetch: fetchJWKS, maxAge: 300, unknownKidInterval: 5, now: now)
        self.directory = directory
        self.credentials = credentials
        self.assertions = assertions
        self.masterKey = masterKey
        self.settings = settings
        self.audit = audit
        self.now = now
    }

    // MARK: Secrets

    /// An application's client secret: derived from the master key and the application's salt, never stored
    /// (client_secret_jwt needs the secret itself to check an assertion). 32 bytes in base64url with its padding:
    /// no '+' or '/', so it reads the same whether a client form-encodes its Basic credentials (RFC 6749 §2.3.1) or
    /// not, as many do not.
    public func clientSecret(of application: Application) -> String? {
        guard let salt = application.secretSalt else { return nil }
        let memoKey = application.clientID + "|" + salt
        if let known = secrets.withLock({ $0[memoKey] }) { return known }
        let secret = Base64URL.encode(masterKey.derive256("application-secret", application.siteID.lowercasedString, application.clientID, salt)) + "="
        secrets.withLock { memo in
            if memo.count >= 10_000 { memo.removeAll() }
            memo[memoKey] = secret
        }
        return secret
    }

    /// Derived client secrets, per client id and salt: clients authenticate on every introspection call.
    private let secrets = Mutex<[String: String]>([:])

    // MARK: Finding clients

    /// The client with this id that may serve `site`: an enabled application that serves the site, or an `oauth`
    /// developer token of the site. nil for anything else.
    public func client(id: String, site: Site, accepting kinds: ClientKinds) async throws -> OAuthClient? {
        guard !id.isEmpty, id.utf8.count <= 255 else { return nil }
        if kinds.contains(.applications), let application = try await directory.application(clientID: id) {
            guard application.isEnabled, application.serves(site: site) else { return nil }
            return OAuthClient(.application(application))
        }
        if kinds.contains(.developerTokens), let token = try await directory.developerToken(site: site.id, key: id), token.type == .oauth {
            return OAuthClient(.developerToken(token))
        }
        return nil
    }

    // MARK: Authenticating

    /// The client a request comes from, authenticated. nil when the request names no client at all (a grant says
    /// whether that is allowed). Throws `invalid_client` for unknown, disabled or foreign clients, wrong secrets,
    /// a method other than the registered one and replayed assertions; `invalid_request` for a request that uses
    /// more than one method.
    public func authenticate(_ request: TokenRequest, site: Site, accepting kinds: ClientKinds) async throws(OAuthError) -> OAuthClient? {
        let p = request.parameters
        let assertion = p["client_assertion"]
        let postSecret = p["client_secret"]
        let presented = [request.basic != nil, assertion != nil, postSecret != nil].filter { $0 }.count
        guard presented <= 1 else { throw .invalidRequest("use exactly one client authentication method") }
        let basic = request.basic != nil

        let method: ClientAuthMethod
        let clientID: String
        if let (id, _) = request.basic {
            method = .clientSecretBasic
            clientID = id
            if let bodyID = p["client_id"], bodyID != id { throw .invalidRequest("client_id differs from the Basic credentials") }
        } else if let assertion {
            guard p["client_assertion_type"] == Self.jwtBearerAssertion else {
                throw .invalidRequest("client_assertion_type must be \(Self.jwtBearerAssertion)")
            }
            guard let jwt = CompactJWT.parse(assertion), let iss = jwt.claims["iss"]?.string else { throw .invalidClient("malformed client assertion") }
            // Signed with the client secret (HMAC) or with the application's private key (RS256).
            method = jwt.header["alg"]?.string == "RS256" ? .privateKeyJWT : .clientSecretJWT
            clientID = iss
            if let bodyID = p["client_id"], bodyID != iss { throw .invalidClient("client_id differs from the assertion's issuer") }
        } else if let id = p["client_id"] {
            method = postSecret != nil ? .clientSecretPost : .none
            clientID = id
        } else {
            if postSecret != nil { throw .invalidRequest("client_secret without client_id") }
            return nil
        }

        let refused = OAuthError.invalidClient("client authentication failed", basic: basic)
        let found: OAuthClient?
        do { found = try await client(id: clientID, site: site, accepting: kinds) } catch { throw .serverError(error) }
        guard let client = found else {
            refuse(site: site, request: request, detail: "client: unknown, disabled or not for this tenant")
            throw refused
        }
        guard client.accepts(method) else {
            refuse(site: site, request: request, detail: "client: used \(method.rawValue), not a method it may use")
            if let application = client.application {
                throw OAuthError.invalidClient("this client is registered for \(application.authMethod.rawValue)", basic: basic)
            }
            throw refused
        }
        switch client.record {
        case .application(let application):
            switch method {
            case .none:
                // A public client: the id is all there is (and PKCE).
                guard application.type == .public else { throw refused }
            case .clientSecretBasic, .clientSecretPost:
                let given = request.basic?.secret ?? postSecret ?? ""
                guard let secret = clientSecret(of: application), Secrets.constantTimeEqual(Array(given.utf8), Array(secret.utf8)) else {
                    refuse(site: site, request: request, detail: "client: wrong secret")
                    throw refused
                }
            case .clientSecretJWT:
                guard let secret = clientSecret(of: application), let jwt = CompactJWT.parse(assertion ?? ""),
                      jwt.verifiesHMAC(key: Array(secret.utf8))
                else {
                    refuse(site: site, request: request, detail: "client assertion: bad signature or algorithm")
                    throw OAuthError.invalidClient("client assertion refused")
                }
                try await checkAssertionClaims(jwt, client: application, request: request, site: site)
            case .privateKeyJWT:
                let verified: Bool
                do {
                    verified = try await CompactJWT.parse(assertion ?? "").asyncMap { jwt in
                        jwt.header["alg"]?.string == "RS256"
                            ? try await applicationKeys.verifies(jwt, staticJWKS: application.jwks, url: application.jwksURL, owner: "the application")
                            : false
                    } ?? false
                } catch { throw .serverError(error) }
                guard verified, let jwt = CompactJWT.parse(assertion ?? "") else {
                    refuse(site: site, request: request, detail: "client assertion: not signed by a registered key")
                    throw OAuthError.invalidClient("client assertion refused")
                }
                try await checkAssertionClaims(jwt, client: application, request: request, site: site)
            }
        case .developerToken(let token):
            guard let hash = token.secretHash, let given = request.basic?.secret ?? postSecret,
                  Secrets.constantTimeEqual(Array(credentials.clientSecretHash(given).utf8), Array(hash.utf8))
            else {
                refuse(site: site, request: request, detail: "client: wrong secret of oauth developer token \(token.id)")
                throw refused
            }
        }
        return client
    }

    /// RFC 7523 §3, once the signature verified: iss = sub = client_id, aud names this endpoint (or the issuer), not
    /// expired nor far in the future, and a jti never seen before.
    private func checkAssertionClaims(_ jwt: CompactJWT, client: Application, request: TokenRequest, site: Site) async throws(OAuthError) {
        let refused = OAuthError.invalidClient("client assertion refused")
        let issuer = settings.oidcIssuer(of: site)
        let epoch = Int64(now().timeIntervalSince1970)
        guard jwt.claims["sub"]?.string == client.clientID,
              jwt.audiences.contains(where: { $0 == request.endpointURL || $0 == issuer || $0 == issuer + "/auth/token" }),
              // authlib's client_secret_jwt asks for an hour; the jti is remembered until exp, so the bound is what
              // keeps that memory finite.
              let exp = jwt.time("exp"), exp > epoch - 30, exp <= epoch + 3900,
              jwt.time("nbf").map({ $0 <= epoch + 30 }) ?? true,
              let jti = jwt.claims["jti"]?.string, !jti.isEmpty, jti.utf8.count <= 255
        else {
            refuse(site: site, request: request, detail: "client assertion: claims")
            throw refused
        }
        let fresh: Bool
        do {
            fresh = try await assertions.recordClientAssertion(clientID: client.clientID, jti: jti,
                                                                expiresAt: Date(timeIntervalSince1970: TimeInterval(exp + 30)), now: now())
        } catch { throw .serverError(error) }
        guard fresh else {
            refuse(site: site, request: request, detail: "client assertion: jti replayed")
            throw OAuthError.invalidClient("client assertion already used")
        }
    }

    private func refuse(site: Site, request: TokenRequest, detail: String) {
        audit.record(AuditEvent(siteID: site.id, at: now(), action: "credential.refused", outcome: "refused", actorUserID: nil, tokenID: nil,
                                clientAddress: request.clientAddress, detail: detail))
    }
}

private extension Optional {
    /// `map` with an async transform.
    func asyncMap<T>(_ transform: (Wrapped) async throws -> T) async rethrows -> T? {
        guard let value = self else { return nil }
        return try await transform(value)
    }
}
