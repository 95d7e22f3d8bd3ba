import Foundation
import TesseraCrypto

/// Creating, changing and deleting developer tokens, with their rules and audit records.
public final class DeveloperTokenService: Sendable {
    private let store: any DeveloperTokenStore
    private let users: any UserStore
    private let directory: Directory
    private let credentials: CredentialService
    private let audit: AuditLog
    private let now: @Sendable () -> Date

    public init(store: any DeveloperTokenStore, users: any UserStore, directory: Directory, credentials: CredentialService, audit: AuditLog,
                now: @escaping @Sendable () -> Date = { Date() }) {
        self.store = store
        self.users = users
        self.directory = directory
        self.credentials = credentials
        self.audit = audit
        self.now = now
    }

    public func list(caller: Caller) async throws -> [DeveloperToken] {
        try caller.require(.tokenAdministration)
        return try await store.developerTokens(site: caller.site.id)
    }

    /// A page of the site's tokens, newest first, and how many there are (counted once, until a token changes).
    public func page(caller: Caller, offset: Int, limit: Int) async throws -> (tokens: [DeveloperToken], total: Int) {
        try caller.require(.tokenAdministration)
        let tokens = try await store.developerTokens(site: caller.site.id, newestFirstFrom: max(0, offset), limit: max(0, limit))
        return (tokens, try await directory.developerTokenCount(site: caller.site.id))
    }

    /// One token, read from the store (a change is made to what the store holds, never to a cached copy).
    public func token(_ id: Int, caller: Caller) async throws -> DeveloperToken {
        try caller.require(.tokenAdministration)
        guard let token = try await store.developerToken(site: caller.site.id, id: id) else {
            throw ServiceError.notFound("developer token not found")
        }
        return token
    }

    public func create(_ request: NewDeveloperToken, caller: Caller, clientAddress: String) async throws -> IssuedDeveloperToken {
        try caller.require(.tokenAdministration)
        let site = caller.site
        try Self.validateName(request.name)
        let key = try request.key.map(Self.validateKey) ?? Secrets.randomHex(32)
        var restricted = request.restrictedUserID
        var notice: String?
        switch request.type {
        case .server:
            guard request.hosts == nil else { throw ServiceError.invalidInput("host applies to browser and oauth tokens only") }
            if request.generateJWT, restricted == nil {
                restricted = caller.user.id
                notice = "a long-term JWT was requested without restricted-by-user-id: the token is restricted to the creating user"
            }
        case .browser, .oauth:
            guard restricted == nil else {
                throw ServiceError.invalidInput("Only Server tokens can be assigned to a user. Browser and OAuth tokens cannot be assigned to a specific user.")
            }
            guard !request.generateJWT else { throw ServiceError.invalidInput("a long-term JWT can be generated for server tokens only") }
            if request.type == .browser, request.hosts == nil { throw ServiceError.invalidInput("a browser token needs at least one host") }
        }
        let hosts = try request.hosts.map { try HostPattern.parseList($0).map(\.description) } ?? []
        if let restricted { try await requireRestrictableUser(restricted, site: site) }
        var secret: String?
        var draft = DeveloperToken(
            siteID: site.id, id: 0, type: request.type, name: request.name, key: key, hosts: hosts, restrictedUserID: restricted,
            secretSalt: nil, secretHash: nil, jwtSalt: nil, createdBy: caller.user.id, createdAt: now()
        )
        switch request.type {
        case .server:
            draft.secretSalt = Secrets.randomHex(16)
            // A restricted server token gets its long-term JWT at once (seed 000).
            if restricted != nil { draft.jwtSalt = Secrets.randomHex(16) }
        case .oauth:
            let clientSecret = Secrets.randomHex(32)
            draft.secretHash = credentials.clientSecretHash(clientSecret)
            secret = clientSecret
        case .browser:
            break
        }
        let token: DeveloperToken
        do {
            draft.createdByClient = caller.clientID
            token = try await store.createDeveloperToken(draft)
        } catch StoreError.conflict {
            throw ServiceError.conflict("a developer token with this key already exists")
        }
        if token.type == .server { secret = credentials.serverTokenSecret(token) }
        record("developer-token.create", token: token, caller: caller, clientAddress: clientAddress,
               detail: "\(token.type.rawValue) token '\(token.name.prefix(100))'" + (token.jwtSalt != nil ? " with long-term JWT" : ""))
        return IssuedDeveloperToken(token: token, secret: secret, jwt: credentials.issueLongTermJWT(token, site: site), notice: notice)
    }

    public func update(_ id: Int, changes: DeveloperTokenChanges, caller: Caller, clientAddress: String) async throws -> IssuedDeveloperToken {
        let read = try await self.token(id, caller: caller)
        var token = read
        if let type = changes.type, type != token.type { throw ServiceError.invalidInput("the type of a token cannot change") }
        if let key = changes.key, key != token.key { throw ServiceError.invalidInput("the key of a token cannot change") }
        if let name = changes.name {
            try Self.validateName(name)
            token.name = name
        }
        if let hosts = changes.hosts {
            guard token.type != .server else { throw ServiceError.invalidInput("host applies to browser and oauth tokens only") }
            token.hosts = try HostPattern.parseList(hosts).map(\.description)
        }
        var notice: String?
        if let restriction = changes.restrictedUserID, restriction != token.restrictedUserID {
            guard token.type == .server else {
                throw ServiceError.invalidInput("Only Server tokens can be assigned to a user. Browser and OAuth tokens cannot be assigned to a specific user.")
            }
            if let user = restriction { try await requireRestrictableUser(user, site: caller.site) }
            token.restrictedUserID = restriction
            // A JWT belongs to the user it was issued for: moving the restriction revokes it.
            if token.jwtSalt != nil, !changes.generateJWT {
                token.jwtSalt = nil
                notice = "the restriction changed, so the token's long-term JWT was revoked"
            }
        }
        if changes.generateJWT {
            guard token.type == .server else { throw ServiceError.invalidInput("a long-term JWT can be generated for server tokens only") }
            // An application's token may give a long-term JWT only to a token it created (which withdrawing its
            // consent deletes); any other token's JWT would outlive the consent.
            if !caller.isFirstHand, token.createdByClient == nil || token.createdByClient != caller.clientID {
                try caller.requireFirstHand("a long-term JWT for a token the application did not create")
            }
            if token.restrictedUserID == nil {
                token.restrictedUserID = caller.user.id
                notice = "a long-term JWT was requested without restricted-by-user-id: the token is restricted to the creating user"
            }
            // A new salt gives a new key: the previous JWT stops verifying.
            token.jwtSalt = Secrets.randomHex(16)
        }
        // Written only over what was read: a revocation or another edit since then wins, and this one is refused.
        guard try await store.updateDeveloperToken(token, ifSaltsOf: read) else {
            guard try await store.developerToken(site: caller.site.id, id: id) != nil else { throw ServiceError.notFound("developer token not found") }
            throw ServiceError.conflict("the token changed while this change was made; read it again")
        }
        record("developer-token.update", token: token, caller: caller, clientAddress: clientAddress,
               detail: changes.generateJWT ? "new long-term JWT issued" : "token changed")
        let jwt = changes.generateJWT ? credentials.issueLongTermJWT(token, site: caller.site) : nil
        return IssuedDeveloperToken(token: token, secret: nil, jwt: jwt, notice: notice)
    }

    public func delete(_ id: Int, caller: Caller, clientAddress: String) async throws {
        let token = try await self.token(id, caller: caller)
        guard try await store.deleteDeveloperToken(site: caller.site.id, id: id) else { throw ServiceError.notFound("developer token not found") }
        record("developer-token.delete", token: token, caller: caller, clientAddress: clientAddress, detail: "\(token.type.rawValue) token '\(token.name.prefix(100))'")
    }

    private func record(_ action: String, token: DeveloperToken, caller: Caller, clientAddress: String, detail: String) {
        audit.record(AuditEvent(siteID: caller.site.id, at: now(), action: action, outcome: "success", actorUserID: caller.user.id,
                                tokenID: token.id, clientAddress: clientAddress, detail: detail))
    }

    private func requireRestrictableUser(_ id: Int, site: Site) async throws {
        guard let user = try await users.user(site: site.id, id: id), !user.isAnonymous else {
            throw ServiceError.invalidInput("restricted-by-user-id names no user of this site")
        }
    }

    static func validateName(_ name: String) throws(ServiceError) {
        guard !name.trimmingCharacters(in: .whitespaces).isEmpty, name.count <= 255 else { throw .invalidInput("name must be 1 to 255 characters") }
    }

    /// Supplied keys: letters, digits, '.' and '-', at most 255 characters. '_' is excluded because it separates the
    /// parts of a request signature.
    static func validateKey(_ key: String) throws(ServiceError) -> String {
        guard !key.isEmpty, key.utf8.count <= 255,
              key.utf8.allSatisfy({ ($0 >= 0x30 && $0 <= 0x39) || ($0 >= 0x41 && $0 <= 0x5A) || ($0 >= 0x61 && $0 <= 0x7A) || $0 == 0x2E || $0 == 0x2D })
        else { throw .invalidInput("key must be 1 to 255 letters, digits, '.' or '-'") }
        return key
    }
}
