import Foundation
import TesseraCrypto

/// Application registration as CXone runs it: submit (a tracking number, pending), approve (credentials per
/// environment, secrets shown once), update, disable and enable. The type is fixed at submission.
public final class RegistrationService: Sendable {
    private let store: any ClientStore
    private let authenticator: ClientAuthenticator
    private let audit: AuditLog
    private let now: @Sendable () -> Date

    public init(store: any ClientStore, clients: ClientAuthenticator, audit: AuditLog, now: @escaping @Sendable () -> Date = { Date() }) {
        self.store = store
        self.authenticator = clients
        self.audit = audit
        self.now = now
    }

    /// Submits a registration: validated, given a tracking number, pending until approved.
    public func submit(_ form: RegistrationForm, site: Site, actor: Int?, clientAddress: String = "") async throws -> AppRegistration {
        guard let type = form.type else { throw ServiceError.invalidInput("type is required: backend, confidential or public") }
        let method = form.authMethod ?? (type == .public ? .none : .clientSecretBasic)
        guard type.hasSecret == (method != .none) else {
            throw ServiceError.invalidInput(type.hasSecret ? "a \(type.rawValue) application authenticates: authMethod must be client_secret_basic, client_secret_post, client_secret_jwt or private_key_jwt"
                                                           : "a public application has no secret: authMethod must be none")
        }
        guard (form.jwks != nil || form.jwksURL != nil) == (method == .privateKeyJWT) else {
            throw ServiceError.invalidInput(method == .privateKeyJWT ? "private_key_jwt needs the application's keys: jwks or jwksEndpoint"
                                                                     : "jwks and jwksEndpoint go with private_key_jwt only")
        }
        let multiTenant = form.multiTenant ?? false
        let environments = try Self.environments(form.environments ?? [site.tenant.area], multiTenant: multiTenant, site: site)
        let created = now()
        var registration = AppRegistration(
            siteID: site.id, trackingNumber: "", name: "", description: "", businessUnit: nil, contacts: [], multiTenant: multiTenant,
            environments: environments, type: type, authMethod: method, redirectURIs: [], logoutURIs: [], origins: [], scopes: [],
            status: .pending, isEnabled: true, createdBy: actor, createdAt: created, modifiedAt: created, approvedBy: nil, approvedAt: nil)
        guard form.name != nil else { throw ServiceError.invalidInput("name is required") }
        try Self.apply(form, to: &registration)
        if type != .backend, registration.redirectURIs.isEmpty {
            throw ServiceError.invalidInput("a \(type.rawValue) application needs at least one redirect URI")
        }
        for attempt in 1...3 {
            registration.trackingNumber = "TR-" + (0..<10).map { _ in String(Int.random(in: 0...9)) }.joined()
            do {
                try await store.createRegistration(registration)
                break
            } catch StoreError.conflict where attempt < 3 {
                continue
            }
        }
        record(site: site, action: "app.register", actor: actor, clientAddress: clientAddress,
               detail: "\(registration.trackingNumber) \(type.rawValue) '\(registration.name)'")
        return registration
    }

    /// Approves a pending registration: one client per environment, and for back-end and confidential types a
    /// secret per client, returned this once.
    public func approve(site: Site, trackingNumber: String, actor: Int?, clientAddress: String = "") async throws
        -> (RegisteredApplication, secrets: [String: String]) {
        var registration = try await find(site: site, trackingNumber: trackingNumber)
        guard registration.status == .pending else { throw ServiceError.conflict("registration \(trackingNumber) is already approved") }
        let approved = now()
        let clients = registration.environments.map { environment in
            registration.applying(to: Application(
                siteID: site.id, clientID: UUID().lowercasedString, name: registration.name, type: registration.type,
                authMethod: registration.authMethod,
                secretSalt: registration.type.hasSecret && registration.authMethod != .privateKeyJWT ? Secrets.randomHex(16) : nil, redirectURIs: [],
                multiTenant: registration.multiTenant, isEnabled: registration.isEnabled, createdAt: approved,
                trackingNumber: registration.trackingNumber, environment: environment))
        }
        registration.status = .approved
        registration.approvedBy = actor
        registration.approvedAt = approved
        registration.modifiedAt = approved
        try await store.updateRegistration(registration, newClients: clients)
        var secrets: [String: String] = [:]
        for client in clients { secrets[client.clientID] = authenticator.clientSecret(of: client) }
        record(site: site, action: "app.approve", actor: actor, clientAddress: clientAddress,
               detail: "\(trackingNumber): \(clients.count) client(s)")
        return (RegisteredApplication(registration: registration, clients: clients), secrets)
    }

    /// Changes the given fields. The type (and, once approved, tenancy and environments) cannot change.
    public func update(site: Site, trackingNumber: String, _ form: RegistrationForm, actor: Int?, clientAddress: String = "") async throws
        -> RegisteredApplication {
        var registration = try await find(site: site, trackingNumber: trackingNumber)
        if let type = form.type, type != registration.type {
            throw ServiceError.invalidInput("the application type cannot be changed after creation")
        }
        if let method = form.authMethod, method != registration.authMethod {
            throw ServiceError.invalidInput("the authentication method cannot be changed after creation")
        }
        if let multi = form.multiTenant, multi != registration.multiTenant {
            throw ServiceError.invalidInput("the tenancy cannot be changed after creation")
        }
        if let environments = form.environments, environments != registration.environments {
            throw ServiceError.invalidInput("the environments cannot be changed after creation")
        }
        try Self.apply(form, to: &registration)
        if registration.type != .backend, registration.redirectURIs.isEmpty {
            throw ServiceError.invalidInput("a \(registration.type.rawValue) application needs at least one redirect URI")
        }
        registration.modifiedAt = now()
        try await store.updateRegistration(registration, newClients: [])
        record(site: site, action: "app.update", actor: actor, clientAddress: clientAddress, detail: trackingNumber)
        return try await get(site: site, trackingNumber: trackingNumber)
    }

    /// Disables (every client stops authenticating at once) or re-enables a registration. Enabling cancels a
    /// scheduled deletion.
    public func setEnabled(site: Site, trackingNumber: String, enabled: Bool, actor: Int?, clientAddress: String = "") async throws
        -> RegisteredApplication {
        var registration = try await find(site: site, trackingNumber: trackingNumber)
        registration.isEnabled = enabled
        if enabled { registration.scheduledDeletion = nil }
        registration.modifiedAt = now()
        try await store.updateRegistration(registration, newClients: [])
        record(site: site, action: enabled ? "app.enable" : "app.disable", actor: actor, clientAddress: clientAddress, detail: trackingNumber)
        return try await get(site: site, trackingNumber: trackingNumber)
    }

    /// How long a registration whose deletion was asked for waits, disabled, before it and its clients are gone
    /// (CXone schedules deletion and says when; it does not document the delay). Enabling it meanwhile cancels.
    public static let deletionDelay: TimeInterval = 7 * 86_400

    /// Schedules a registration's deletion: its clients stop authenticating now, and the housekeeping removes them
    /// with the registration, the consents given to them and their refresh tokens once the time comes.
    public func scheduleDeletion(site: Site, trackingNumber: String, actor: Int?, clientAddress: String = "") async throws -> RegisteredApplication {
        var registration = try await find(site: site, trackingNumber: trackingNumber)
        if registration.scheduledDeletion == nil {
            registration.scheduledDeletion = now().addingTimeInterval(Self.deletionDelay)
            registration.isEnabled = false
            registration.modifiedAt = now()
            try await store.updateRegistration(registration, newClients: [])
            record(site: site, action: "app.delete", actor: actor, clientAddress: clientAddress, detail: "\(trackingNumber): scheduled")
        }
        return try await get(site: site, trackingNumber: trackingNumber)
    }

    /// Removes the registrations whose scheduled deletion has come; returns how many. Run by the housekeeping.
    public func deleteScheduled() async throws -> Int {
        try await store.deleteRegistrations(scheduledBefore: now())
    }

    public func list(site: Site) async throws -> [RegisteredApplication] {
        var found: [RegisteredApplication] = []
        for registration in try await store.registrations(site: site.id) {
            found.append(RegisteredApplication(registration: registration, clients: try await store.applications(trackingNumber: registration.trackingNumber)))
        }
        return found
    }

    public func get(site: Site, trackingNumber: String) async throws -> RegisteredApplication {
        let registration = try await find(site: site, trackingNumber: trackingNumber)
        return RegisteredApplication(registration: registration, clients: try await store.applications(trackingNumber: trackingNumber))
    }

    /// Submits and approves at once, for one environment (the command line's `app create`).
    public func registerApproved(_ form: RegistrationForm, site: Site) async throws -> (Application, String?) {
        var form = form
        form.environments = form.environments ?? [site.tenant.area]
        let submitted = try await submit(form, site: site, actor: nil)
        let (approved, secrets) = try await approve(site: site, trackingNumber: submitted.trackingNumber, actor: nil)
        let client = approved.clients[0]
        return (client, secrets[client.clientID])
    }

    private func find(site: Site, trackingNumber: String) async throws -> AppRegistration {
        guard trackingNumber.utf8.count <= 32, let found = try await store.registration(site: site.id, trackingNumber: trackingNumber) else {
            throw ServiceError.notFound("no application registration \(trackingNumber.prefix(32))")
        }
        return found
    }

    private func record(site: Site, action: String, actor: Int?, clientAddress: String, detail: String) {
        audit.record(AuditEvent(siteID: site.id, action: action, outcome: "success", actorUserID: actor, tokenID: nil,
                                clientAddress: clientAddress, detail: detail))
    }

    // MARK: Validation

    /// Copies and checks the mutable fields that the form gives.
    static func apply(_ form: RegistrationForm, to registration: inout AppRegistration) throws(ServiceError) {
        if let name = form.name {
            let trimmed = name.trimmingCharacters(in: .whitespaces)
            guard !trimmed.isEmpty, trimmed.count <= 255 else { throw .invalidInput("name must be 1 to 255 characters") }
            registration.name = trimmed
        }
        if let description = form.description {
            guard description.count <= 2000 else { throw .invalidInput("description must be at most 2000 characters") }
            registration.description = description
        }
        if let unit = form.businessUnit {
            guard unit > 0, unit < 1_000_000_000 else { throw .invalidInput("businessUnit must be a positive number") }
            registration.businessUnit = unit
        }
        if let contacts = form.contacts {
            guard contacts.count <= 20 else { throw .invalidInput("at most 20 technical contacts") }
            for contact in contacts where !isEmailAddress(contact) {
                throw .invalidInput("technical contact '\(contact.prefix(100))' is not an e-mail address")
            }
            registration.contacts = contacts
        }
        if let uris = form.redirectURIs {
            registration.redirectURIs = try checkedURIs(uris, what: "redirect URI")
        }
        if let uris = form.logoutURIs {
            registration.logoutURIs = try checkedURIs(uris, what: "post-logout redirect URI")
        }
        if let origins = form.origins {
            guard origins.count <= 50 else { throw .invalidInput("at most 50 origins") }
            registration.origins = try origins.map(checkedOrigin)
        }
        if let scopes = form.scopes {
            guard scopes.count <= 50, scopes.allSatisfy(Scope.isWellFormed) else {
                throw .invalidInput("scopes must be at most 50 names of 1 to 64 letters, digits and . : _ -")
            }
            registration.scopes = scopes
        }
        if form.jwks != nil || form.jwksURL != nil {
            guard registration.authMethod == .privateKeyJWT else { throw .invalidInput("jwks and jwksEndpoint go with private_key_jwt only") }
            guard (form.jwks == nil) != (form.jwksURL == nil) else { throw .invalidInput("give either jwks or jwksEndpoint, not both") }
            if let jwks = form.jwks {
                guard jwks.utf8.count <= 64 * 1024, let keys = ForeignVerifyingKey.keySet(Array(jwks.utf8)),
                      keys.contains(where: \.verifiesRS256)
                else { throw .invalidInput("jwks must be a JWK Set with an RSA key (2048 bits or more) for RS256") }
                registration.jwks = jwks
                registration.jwksURL = nil
            }
            if let url = form.jwksURL {
                registration.jwksURL = try checkedURIs([url], what: "jwksEndpoint")[0]
                registration.jwks = nil
            }
        }
    }

    static func environments(_ environments: [String], multiTenant: Bool, site: Site) throws(ServiceError) -> [String] {
        let unique = environments.reduce(into: [String]()) { if !$0.contains($1) { $0.append($1) } }
        guard !unique.isEmpty, unique.count <= 20 else { throw .invalidInput("environments must list 1 to 20 tenant areas") }
        for environment in unique {
            guard (1...32).contains(environment.count), environment.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-") }) else {
                throw .invalidInput("environment '\(environment.prefix(40))' is not a tenant area (letters, digits, '-')")
            }
        }
        if !multiTenant, unique != [site.tenant.area] {
            throw .invalidInput("a single-tenant application lives in its own tenant's environment, \(site.tenant.area)")
        }
        return unique
    }

    /// Absolute URLs without a fragment: https anywhere, http only on a loopback host (native and local apps).
    package static func checkedURIs(_ uris: [String], what: String) throws(ServiceError) -> [String] {
        guard uris.count <= 50 else { throw .invalidInput("at most 50 \(what)s") }
        for uri in uris {
            guard RedirectTarget.isClean(uri), let parts = URLComponents(string: uri), let scheme = parts.scheme?.lowercased(),
                  let host = parts.host?.lowercased(), !host.isEmpty, parts.fragment == nil, parts.user == nil, parts.password == nil,
                  scheme == "https" || (scheme == "http" && isLoopback(host))
            else {
                throw .invalidInput("\(what) '\(uri.prefix(100))' must be an absolute https URL (http only on a loopback host), without a fragment")
            }
        }
        return uris
    }

    package static func isLoopback(_ host: String) -> Bool {
        host == "localhost" || host == "127.0.0.1" || host == "[::1]" || host == "::1"
    }

    /// `scheme://host[:port]`, as browsers send `Origin`; stored in lower case.
    package static func checkedOrigin(_ origin: String) throws(ServiceError) -> String {
        let lowered = origin.lowercased()
        guard lowered.utf8.count <= 512, let parts = URLComponents(string: lowered), let scheme = parts.scheme, scheme == "https" || scheme == "http",
              parts.host?.isEmpty == false, parts.path.isEmpty, parts.query == nil, parts.fragment == nil, parts.user == nil
        else { throw .invalidInput("origin '\(origin.prefix(100))' must be scheme://host[:port]") }
        return lowered
    }

    static func isEmailAddress(_ text: String) -> Bool {
        let parts = text.split(separator: "@", omittingEmptySubsequences: false)
        return text.utf8.count <= 254 && parts.count == 2 && !parts[0].isEmpty && parts[1].contains(".") && !text.contains(" ")
            && !parts[1].hasPrefix(".") && !parts[1].hasSuffix(".")
    }
}
