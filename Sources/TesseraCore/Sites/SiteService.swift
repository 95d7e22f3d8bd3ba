import Foundation
import TesseraCrypto

/// Creation of sites with their first users (administrator `admin`, id 1; anonymous, id 2).
public struct SiteService: Sendable {
    private let store: any SiteStore
    private let hasher: PasswordHasher
    private let seal: SiteKeySeal
    private let now: @Sendable () -> Date

    public init(store: any SiteStore, hasher: PasswordHasher, masterKey: MasterKey, now: @escaping @Sendable () -> Date = { Date() }) {
        self.store = store
        self.hasher = hasher
        self.seal = SiteKeySeal(masterKey: masterKey)
        self.now = now
    }

    /// What creating a site produced. `generatedPassword` is set only when the administrator's password was
    /// generated here; the caller shows it once.
    public struct Created: Sendable {
        public var site: Site
        public var generatedPassword: String?
    }

    /// Creates the default site on first start. Returns nil when a default site already existed (possibly
    /// created a moment ago by another instance).
    public func bootstrapDefaultSite(name: String = "Default", adminPassword: String?) async throws -> Created? {
        let (site, users, generated) = try await draft(name: name, hostnames: [], isDefault: true, adminPassword: adminPassword)
        guard try await store.bootstrapDefaultSite(try sealed(site), users: users) else { return nil }
        return Created(site: site, generatedPassword: generated)
    }

    /// The site as the store keeps it: its auth-token key sealed.
    private func sealed(_ site: Site) throws -> Site {
        var stored = site
        stored.authTokenKey = try seal.seal(site.authTokenKey, site: site.id)
        return stored
    }

    /// Seals the auth-token keys that releases before sealing stored in clear; returns how many it sealed.
    @discardableResult
    public func sealStoredKeys() async throws -> Int {
        var sealed = 0
        for site in try await store.sites() where !SiteKeySeal.isSealed(site.authTokenKey) {
            try await store.updateAuthTokenKey(site: site.id, try seal.seal(site.authTokenKey, site: site.id))
            sealed += 1
        }
        return sealed
    }

    /// Creates a further site answering on the given host names.
    public func createSite(name: String, hostnames: [String], adminPassword: String?, tenant: TenantProfile = TenantProfile()) async throws -> Created {
        var normalised: [String] = []
        for host in hostnames {
            guard let h = Hostname.normalise(host) else { throw ServiceError.invalidInput("invalid host name '\(host)'") }
            normalised.append(h)
        }
        guard !normalised.isEmpty else { throw ServiceError.invalidInput("a site needs at least one host name") }
        var (site, users, generated) = try await draft(name: name, hostnames: normalised, isDefault: false, adminPassword: adminPassword)
        site.tenant = tenant
        do {
            try await store.createSite(try sealed(site), users: users)
        } catch StoreError.conflict(let what) {
            throw ServiceError.conflict("host name already used by another site: \(what)")
        }
        return Created(site: site, generatedPassword: generated)
    }

    private func draft(name: String, hostnames: [String], isDefault: Bool, adminPassword: String?) async throws -> (Site, [User], String?) {
        guard !name.isEmpty, name.count <= 255 else { throw ServiceError.invalidInput("site name must be 1 to 255 characters") }
        let generated = adminPassword == nil ? Secrets.randomPassword() : nil
        let password = adminPassword ?? generated!
        try UserRules.validatePassword(password)
        let now = self.now()
        let site = Site(id: UUID(), name: name, hostnames: hostnames, isDefault: isDefault,
                        authTokenKey: Secrets.randomBytes(32), createdAt: now)
        let admin = User(
            siteID: site.id, id: User.firstAdminID, guid: UUID(), username: "admin", email: "", fullName: "Administrator",
            status: .active, hasSeat: true, roleName: Role.admin.name, passwordHash: try await hasher.hash(password),
            securityStamp: Secrets.randomHex(16), createdAt: now, lastLoginAt: nil
        )
        let anonymous = User(
            siteID: site.id, id: User.anonymousID, guid: UUID(), username: User.anonymousUsername, email: "", fullName: "",
            status: .active, hasSeat: false, roleName: Role.anonymous.name, passwordHash: nil,
            securityStamp: Secrets.randomHex(16), createdAt: now, lastLoginAt: nil
        )
        return (site, [admin, anonymous], generated)
    }
}
