import Foundation
import TesseraCore

/// Sites, their host names and settings.
extension SQLStore: SiteStore {
    static let bootstrapLock: Int64 = 7_365_727_262

    public func bootstrapDefaultSite(_ site: Site, users: [User]) async throws -> Bool {
        try await db.transaction(exclusive: Self.bootstrapLock) { tx in
            if try await tx.readOne("SELECT id FROM sites WHERE is_default") != nil { return false }
            try await Self.insert(site, users: users, on: tx)
            try await tx.announce(.sites)
            return true
        }
    }

    public func createSite(_ site: Site, users: [User]) async throws {
        try await db.transaction { tx in
            try await Self.insert(site, users: users, on: tx)
            try await tx.announce(.sites)
        }
    }

    private static func insert(_ site: Site, users: [User], on tx: any SQLExecutor) async throws {
        try await tx.execute("""
            INSERT INTO sites (id, name, is_default, auth_token_key, next_user_id, created_at, business_unit, area, cluster)
            VALUES (\(site.id), \(site.name), \(site.isDefault), \(site.authTokenKey), 3, \(site.createdAt), \(site.tenant.businessUnit),
                    \(site.tenant.area), \(site.tenant.cluster))
            """)
        for host in site.hostnames {
            try await tx.execute("INSERT INTO site_hostnames (hostname, site_id) VALUES (\(host), \(site.id))")
        }
        for user in users { try await insert(user, on: tx) }
    }

    public func sites() async throws -> [Site] {
        var hostnames: [UUID: [String]] = [:]
        for row in try await db.read("SELECT hostname, site_id FROM site_hostnames ORDER BY hostname") {
            hostnames[try row.uuid("site_id"), default: []].append(try row.string("hostname"))
        }
        return try await db.read("SELECT * FROM sites ORDER BY created_at, id").map { row in
            let id = try row.uuid("id")
            return Site(
                id: id, name: try row.string("name"), hostnames: hostnames[id] ?? [], isDefault: try row.bool("is_default"),
                authTokenKey: try row.bytes("auth_token_key"), createdAt: try row.date("created_at"),
                tenant: TenantProfile(businessUnit: try row.int("business_unit"), area: try row.string("area"), cluster: try row.string("cluster")),
                legacyTokens: LegacyTokenSettings(enabled: try row.bool("legacy_tokens"), sealedAPIKey: try row.optionalBytes("legacy_api_key")),
                branding: SiteBranding(logoURL: try row.optionalString("branding_logo"), colour: try row.optionalString("branding_colour")))
        }
    }

    public func site(id: UUID) async throws -> Site? {
        try await sites().first { $0.id == id }
    }

    public func updateTenant(site: UUID, _ tenant: TenantProfile) async throws {
        try await update("""
            UPDATE sites SET business_unit = \(tenant.businessUnit), area = \(tenant.area), cluster = \(tenant.cluster) WHERE id = \(site)
            """, announcing: .sites)
    }

    public func updateBranding(site: UUID, _ branding: SiteBranding) async throws {
        try await update("UPDATE sites SET branding_logo = \(branding.logoURL), branding_colour = \(branding.colour) WHERE id = \(site)",
                         announcing: .sites)
    }

    public func updateLegacyTokens(site: UUID, _ settings: LegacyTokenSettings) async throws {
        try await update("UPDATE sites SET legacy_tokens = \(settings.enabled), legacy_api_key = \(settings.sealedAPIKey) WHERE id = \(site)",
                         announcing: .sites)
    }
}

extension SQLStore {
    public func updateAuthTokenKey(site: UUID, _ stored: [UInt8]) async throws {
        try await update("UPDATE sites SET auth_token_key = \(stored) WHERE id = \(site)", announcing: .sites)
    }
}
