import Foundation
import PostgresNIO
import TesseraCore

extension PostgresStore {
    // MARK: Registrations

    public func createRegistration(_ r: AppRegistration) async throws {
        try await mapConstraint {
            try await client.query("""
                INSERT INTO app_registrations (tracking_number, site_id, name, description, business_unit, contacts, multi_tenant, environments,
                    type, auth_method, redirect_uris, logout_uris, origins, scopes, status, is_enabled, created_by, created_at, modified_at,
                    approved_by, approved_at)
                VALUES (\(r.trackingNumber), \(r.siteID), \(r.name), \(r.description), \(r.businessUnit), \(encodeList(r.contacts)),
                        \(r.multiTenant), \(encodeList(r.environments)), \(r.type.rawValue), \(r.authMethod.rawValue),
                        \(encodeList(r.redirectURIs)), \(encodeList(r.logoutURIs)), \(encodeList(r.origins)), \(encodeList(r.scopes)),
                        \(r.status.rawValue), \(r.isEnabled), \(r.createdBy), \(seconds(r.createdAt)), \(seconds(r.modifiedAt)),
                        \(r.approvedBy), \(r.approvedAt.map(seconds)))
                """, logger: logger)
        }
    }

    static let registrationColumns = """
        tracking_number, site_id, name, description, business_unit, contacts, multi_tenant, environments, type, auth_method, redirect_uris,
        logout_uris, origins, scopes, status, is_enabled, created_by, created_at, modified_at, approved_by, approved_at
        """

    public func registrations(site: UUID) async throws -> [AppRegistration] {
        try await registrations(client.query("""
            SELECT \(unescaped: Self.registrationColumns) FROM app_registrations WHERE site_id = \(site) ORDER BY created_at, tracking_number
            """, logger: logger))
    }

    public func registration(site: UUID, trackingNumber: String) async throws -> AppRegistration? {
        try await registrations(client.query("""
            SELECT \(unescaped: Self.registrationColumns) FROM app_registrations WHERE site_id = \(site) AND tracking_number = \(trackingNumber)
            """, logger: logger)).first
    }

    private func registrations(_ rows: PostgresRowSequence) async throws -> [AppRegistration] {
        var found: [AppRegistration] = []
        for try await (tracking, site, name, description, unit, contacts, multi, environments, type, method, redirects, logouts, origins, scopes,
                       status, enabled, createdBy, created, modified, approvedBy, approvedAt) in rows
            .decode((String, UUID, String, String, Int?, String, Bool, String, String, String, String, String, String, String, String, Bool,
                     Int?, Int64, Int64, Int?, Int64?).self) {
            guard let type = ApplicationType(rawValue: type), let method = ClientAuthMethod(rawValue: method),
                  let status = RegistrationStatus(rawValue: status)
            else { continue }
            found.append(AppRegistration(
                siteID: site, trackingNumber: tracking, name: name, description: description, businessUnit: unit, contacts: decodeList(contacts),
                multiTenant: multi, environments: decodeList(environments), type: type, authMethod: method, redirectURIs: decodeList(redirects),
                logoutURIs: decodeList(logouts), origins: decodeList(origins), scopes: decodeList(scopes), status: status, isEnabled: enabled,
                createdBy: createdBy, createdAt: date(created), modifiedAt: date(modified), approvedBy: approvedBy, approvedAt: approvedAt.map(date)))
        }
        return found
    }

    public func updateRegistration(_ r: AppRegistration, newClients: [Application]) async throws {
        try await mapConstraint {
            try await transaction { db in
                let rows = try await db.query("""
                    UPDATE app_registrations SET name = \(r.name), description = \(r.description), business_unit = \(r.businessUnit),
                        contacts = \(encodeList(r.contacts)), redirect_uris = \(encodeList(r.redirectURIs)), logout_uris = \(encodeList(r.logoutURIs)),
                        origins = \(encodeList(r.origins)), scopes = \(encodeList(r.scopes)), status = \(r.status.rawValue), is_enabled = \(r.isEnabled),
                        modified_at = \(seconds(r.modifiedAt)), approved_by = \(r.approvedBy), approved_at = \(r.approvedAt.map(seconds))
                    WHERE site_id = \(r.siteID) AND tracking_number = \(r.trackingNumber) RETURNING tracking_number
                    """, logger: logger)
                guard try await Self.any(rows) else { throw StoreError.notFound }
                for client in newClients { try await insert(client, on: db) }
                try await db.query("""
                    UPDATE applications SET name = \(r.name), redirect_uris = \(encodeList(r.redirectURIs)), logout_uris = \(encodeList(r.logoutURIs)),
                        origins = \(encodeList(r.origins)), multi_tenant = \(r.multiTenant), is_enabled = \(r.isEnabled)
                    WHERE tracking_number = \(r.trackingNumber) AND site_id = \(r.siteID)
                    """, logger: logger)
                try await announce(.applications, on: db)
            }
        }
    }

    public func applications(trackingNumber: String) async throws -> [Application] {
        try await applications(client.query("""
            SELECT \(unescaped: Self.applicationColumns) FROM applications WHERE tracking_number = \(trackingNumber) ORDER BY environment, client_id
            """, logger: logger))
    }

    public func registeredOrigins() async throws -> [String] {
        var origins: [String] = []
        for try await (list,) in try await client.query("SELECT origins FROM applications WHERE is_enabled AND origins <> '[]'", logger: logger)
            .decode((String,).self) {
            origins += decodeList(list)
        }
        return origins
    }

    // MARK: Grants

    public func saveGrant(_ g: Grant) async throws {
        try await client.query("""
            INSERT INTO grants (site_id, user_id, client_id, client_name, scope, created_at, updated_at)
            VALUES (\(g.siteID), \(g.userID), \(g.clientID), \(g.clientName), \(g.scope), \(seconds(g.createdAt)), \(seconds(g.updatedAt)))
            ON CONFLICT (site_id, user_id, client_id) DO UPDATE SET client_name = EXCLUDED.client_name, scope = EXCLUDED.scope,
                updated_at = EXCLUDED.updated_at
            """, logger: logger)
    }

    public func grants(site: UUID, userID: Int) async throws -> [Grant] {
        var found: [Grant] = []
        let rows = try await client.query("""
            SELECT client_id, client_name, scope, created_at, updated_at FROM grants WHERE site_id = \(site) AND user_id = \(userID)
            ORDER BY created_at, client_id
            """, logger: logger)
        for try await (clientID, name, scope, created, updated) in rows.decode((String, String, String, Int64, Int64).self) {
            found.append(Grant(siteID: site, userID: userID, clientID: clientID, clientName: name, scope: scope, createdAt: date(created),
                               updatedAt: date(updated)))
        }
        return found
    }

    public func deleteGrant(site: UUID, userID: Int, clientID: String) async throws -> (found: Bool, families: [UUID]) {
        try await transaction { db in
            let deleted = try await Self.any(db.query("""
                DELETE FROM grants WHERE site_id = \(site) AND user_id = \(userID) AND client_id = \(clientID) RETURNING client_id
                """, logger: logger))
            var families = Set<UUID>()
            let rows = try await db.query("""
                UPDATE refresh_tokens SET revoked = TRUE
                WHERE site_id = \(site) AND user_id = \(userID) AND client_id = \(clientID) AND NOT revoked RETURNING family_id
                """, logger: logger)
            for try await (family,) in rows.decode((String,).self) {
                if let id = UUID(uuidString: family) { families.insert(id) }
            }
            return (deleted, Array(families))
        }
    }

    // MARK: Device authorizations

    public func insertDeviceAuthorization(_ a: DeviceAuthorization) async throws {
        try await mapConstraint {
            try await transaction { db in
                try await db.query("DELETE FROM device_authorizations WHERE expires_at < \(seconds(Date()) - 60)", logger: logger)
                try await db.query("""
                    INSERT INTO device_authorizations (device_code_hash, user_code, site_id, client_id, scope, status, user_id, created_at, expires_at)
                    VALUES (\(a.deviceCodeHash), \(a.userCode), \(a.siteID), \(a.clientID), \(a.scope), \(a.status.rawValue), \(a.userID),
                            \(seconds(a.createdAt)), \(seconds(a.expiresAt)))
                    """, logger: logger)
            }
        }
    }

    static let deviceColumns = "device_code_hash, user_code, site_id, client_id, scope, status, user_id, created_at, expires_at"

    private func deviceAuthorizations(_ rows: PostgresRowSequence) async throws -> [DeviceAuthorization] {
        var found: [DeviceAuthorization] = []
        for try await (hash, code, site, clientID, scope, status, user, created, expires) in rows
            .decode((String, String, UUID, String, String, String, Int?, Int64, Int64).self) {
            guard let status = DeviceAuthorization.Status(rawValue: status) else { continue }
            found.append(DeviceAuthorization(deviceCodeHash: hash, userCode: code, siteID: site, clientID: clientID, scope: scope, status: status,
                                             userID: user, createdAt: date(created), expiresAt: date(expires)))
        }
        return found
    }

    public func deviceAuthorization(site: UUID, userCode: String) async throws -> DeviceAuthorization? {
        try await deviceAuthorizations(client.query("""
            SELECT \(unescaped: Self.deviceColumns) FROM device_authorizations WHERE site_id = \(site) AND user_code = \(userCode)
            """, logger: logger)).first
    }

    public func decideDeviceAuthorization(site: UUID, userCode: String, userID: Int, approve: Bool, at: Date) async throws -> Bool {
        let status = approve ? "approved" : "denied"
        return try await Self.any(client.query("""
            UPDATE device_authorizations SET status = \(status), user_id = \(userID)
            WHERE site_id = \(site) AND user_code = \(userCode) AND status = 'pending' AND expires_at > \(seconds(at)) RETURNING user_code
            """, logger: logger))
    }

    public func pollDeviceAuthorization(hash: String) async throws -> DeviceAuthorization? {
        try await transaction { db in
            let found = try await deviceAuthorizations(db.query("""
                SELECT \(unescaped: Self.deviceColumns) FROM device_authorizations WHERE device_code_hash = \(hash) FOR UPDATE
                """, logger: logger)).first
            if found?.status == .approved {
                try await db.query("UPDATE device_authorizations SET status = 'used' WHERE device_code_hash = \(hash)", logger: logger)
            }
            return found
        }
    }

    // MARK: Branding

    public func updateBranding(site: UUID, _ branding: SiteBranding) async throws {
        try await transaction { db in
            let rows = try await db.query("""
                UPDATE sites SET branding_logo = \(branding.logoURL), branding_colour = \(branding.colour) WHERE id = \(site) RETURNING id
                """, logger: logger)
            guard try await Self.any(rows) else { throw StoreError.notFound }
            try await announce(.sites, on: db)
        }
    }
}
