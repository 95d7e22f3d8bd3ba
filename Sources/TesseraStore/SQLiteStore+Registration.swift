import Foundation
import GRDB
import TesseraCore

extension SQLiteStore {
    // MARK: Registrations

    public func createRegistration(_ registration: AppRegistration) async throws {
        try await mapConstraint {
            try await pool.write { db in
                try db.execute(sql: """
                    INSERT INTO app_registrations (tracking_number, site_id, name, description, business_unit, contacts, multi_tenant, environments,
                        type, auth_method, redirect_uris, logout_uris, origins, scopes, status, is_enabled, created_by, created_at, modified_at,
                        approved_by, approved_at)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                    """, arguments: [registration.trackingNumber, registration.siteID.lowercasedString, registration.name, registration.description,
                                     registration.businessUnit, encodeList(registration.contacts), registration.multiTenant,
                                     encodeList(registration.environments), registration.type.rawValue, registration.authMethod.rawValue,
                                     encodeList(registration.redirectURIs), encodeList(registration.logoutURIs), encodeList(registration.origins),
                                     encodeList(registration.scopes), registration.status.rawValue, registration.isEnabled, registration.createdBy,
                                     seconds(registration.createdAt), seconds(registration.modifiedAt), registration.approvedBy,
                                     registration.approvedAt.map(seconds)])
            }
        }
    }

    public func registrations(site: UUID) async throws -> [AppRegistration] {
        try await pool.read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM app_registrations WHERE site_id = ? ORDER BY created_at, tracking_number",
                             arguments: [site.lowercasedString]).compactMap(Self.registration)
        }
    }

    public func registration(site: UUID, trackingNumber: String) async throws -> AppRegistration? {
        try await pool.read { db in
            try Row.fetchOne(db, sql: "SELECT * FROM app_registrations WHERE site_id = ? AND tracking_number = ?",
                             arguments: [site.lowercasedString, trackingNumber]).flatMap(Self.registration)
        }
    }

    public func updateRegistration(_ registration: AppRegistration, newClients: [Application]) async throws {
        try await mapConstraint {
            try await pool.write { db in
                try db.execute(sql: """
                    UPDATE app_registrations SET name = ?, description = ?, business_unit = ?, contacts = ?, redirect_uris = ?, logout_uris = ?,
                        origins = ?, scopes = ?, status = ?, is_enabled = ?, modified_at = ?, approved_by = ?, approved_at = ?
                    WHERE site_id = ? AND tracking_number = ?
                    """, arguments: [registration.name, registration.description, registration.businessUnit, encodeList(registration.contacts),
                                     encodeList(registration.redirectURIs), encodeList(registration.logoutURIs), encodeList(registration.origins),
                                     encodeList(registration.scopes), registration.status.rawValue, registration.isEnabled,
                                     seconds(registration.modifiedAt), registration.approvedBy, registration.approvedAt.map(seconds),
                                     registration.siteID.lowercasedString, registration.trackingNumber])
                if db.changesCount == 0 { throw StoreError.notFound }
                for client in newClients {
                    try db.execute(sql: """
                        INSERT INTO applications (client_id, site_id, name, type, auth_method, secret_salt, redirect_uris, multi_tenant, is_enabled,
                                                  created_at, tracking_number, environment, logout_uris, origins)
                        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                        """, arguments: Self.arguments(client))
                }
                try db.execute(sql: """
                    UPDATE applications SET name = ?, redirect_uris = ?, logout_uris = ?, origins = ?, multi_tenant = ?, is_enabled = ?
                    WHERE tracking_number = ? AND site_id = ?
                    """, arguments: [registration.name, encodeList(registration.redirectURIs), encodeList(registration.logoutURIs),
                                     encodeList(registration.origins), registration.multiTenant, registration.isEnabled,
                                     registration.trackingNumber, registration.siteID.lowercasedString])
            }
        }
        changes.publish(.applications)
    }

    public func applications(trackingNumber: String) async throws -> [Application] {
        try await pool.read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM applications WHERE tracking_number = ? ORDER BY environment, client_id",
                             arguments: [trackingNumber]).compactMap(Self.application)
        }
    }

    public func registeredOrigins() async throws -> [String] {
        try await pool.read { db in
            try String.fetchAll(db, sql: "SELECT origins FROM applications WHERE is_enabled AND origins <> '[]'").flatMap(decodeList)
        }
    }

    static func registration(_ row: Row) -> AppRegistration? {
        guard let site = UUID(uuidString: row["site_id"]), let type = ApplicationType(rawValue: row["type"]),
              let method = ClientAuthMethod(rawValue: row["auth_method"]), let status = RegistrationStatus(rawValue: row["status"])
        else { return nil }
        return AppRegistration(
            siteID: site, trackingNumber: row["tracking_number"], name: row["name"], description: row["description"],
            businessUnit: row["business_unit"], contacts: decodeList(row["contacts"]), multiTenant: row["multi_tenant"],
            environments: decodeList(row["environments"]), type: type, authMethod: method, redirectURIs: decodeList(row["redirect_uris"]),
            logoutURIs: decodeList(row["logout_uris"]), origins: decodeList(row["origins"]), scopes: decodeList(row["scopes"]), status: status,
            isEnabled: row["is_enabled"], createdBy: row["created_by"], createdAt: date(row["created_at"]), modifiedAt: date(row["modified_at"]),
            approvedBy: row["approved_by"], approvedAt: (row["approved_at"] as Int64?).map(date))
    }

    // MARK: Grants

    public func saveGrant(_ grant: Grant) async throws {
        try await pool.write { db in
            try db.execute(sql: """
                INSERT INTO grants (site_id, user_id, client_id, client_name, scope, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)
                ON CONFLICT (site_id, user_id, client_id) DO UPDATE SET client_name = excluded.client_name, scope = excluded.scope,
                    updated_at = excluded.updated_at
                """, arguments: [grant.siteID.lowercasedString, grant.userID, grant.clientID, grant.clientName, grant.scope,
                                 seconds(grant.createdAt), seconds(grant.updatedAt)])
        }
    }

    public func grants(site: UUID, userID: Int) async throws -> [Grant] {
        try await pool.read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM grants WHERE site_id = ? AND user_id = ? ORDER BY created_at, client_id",
                             arguments: [site.lowercasedString, userID]).map { row in
                Grant(siteID: site, userID: userID, clientID: row["client_id"], clientName: row["client_name"], scope: row["scope"],
                      createdAt: date(row["created_at"]), updatedAt: date(row["updated_at"]))
            }
        }
    }

    public func deleteGrant(site: UUID, userID: Int, clientID: String) async throws -> (found: Bool, families: [UUID]) {
        try await pool.write { db in
            let key: StatementArguments = [site.lowercasedString, userID, clientID]
            try db.execute(sql: "DELETE FROM grants WHERE site_id = ? AND user_id = ? AND client_id = ?", arguments: key)
            let found = db.changesCount > 0
            let families = try String.fetchAll(db, sql: """
                SELECT DISTINCT family_id FROM refresh_tokens WHERE site_id = ? AND user_id = ? AND client_id = ? AND revoked = 0
                """, arguments: key).compactMap(UUID.init(uuidString:))
            try db.execute(sql: "UPDATE refresh_tokens SET revoked = 1 WHERE site_id = ? AND user_id = ? AND client_id = ?", arguments: key)
            return (found, families)
        }
    }

    // MARK: Device authorizations

    public func insertDeviceAuthorization(_ authorization: DeviceAuthorization) async throws {
        try await mapConstraint {
            try await pool.write { db in
                try db.execute(sql: "DELETE FROM device_authorizations WHERE expires_at < ?", arguments: [seconds(Date()) - 60])
                try db.execute(sql: """
                    INSERT INTO device_authorizations (device_code_hash, user_code, site_id, client_id, scope, status, user_id, created_at, expires_at)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
                    """, arguments: [authorization.deviceCodeHash, authorization.userCode, authorization.siteID.lowercasedString,
                                     authorization.clientID, authorization.scope, authorization.status.rawValue, authorization.userID,
                                     seconds(authorization.createdAt), seconds(authorization.expiresAt)])
            }
        }
    }

    public func deviceAuthorization(site: UUID, userCode: String) async throws -> DeviceAuthorization? {
        try await pool.read { db in
            try Row.fetchOne(db, sql: "SELECT * FROM device_authorizations WHERE site_id = ? AND user_code = ?",
                             arguments: [site.lowercasedString, userCode]).flatMap(Self.deviceAuthorization)
        }
    }

    public func decideDeviceAuthorization(site: UUID, userCode: String, userID: Int, approve: Bool, at: Date) async throws -> Bool {
        try await pool.write { db in
            try db.execute(sql: """
                UPDATE device_authorizations SET status = ?, user_id = ?
                WHERE site_id = ? AND user_code = ? AND status = 'pending' AND expires_at > ?
                """, arguments: [approve ? "approved" : "denied", userID, site.lowercasedString, userCode, seconds(at)])
            return db.changesCount > 0
        }
    }

    public func pollDeviceAuthorization(hash: String) async throws -> DeviceAuthorization? {
        try await pool.write { db in
            guard let found = try Row.fetchOne(db, sql: "SELECT * FROM device_authorizations WHERE device_code_hash = ?", arguments: [hash])
                .flatMap(Self.deviceAuthorization)
            else { return nil }
            if found.status == .approved {
                try db.execute(sql: "UPDATE device_authorizations SET status = 'used' WHERE device_code_hash = ?", arguments: [hash])
            }
            return found
        }
    }

    static func deviceAuthorization(_ row: Row) -> DeviceAuthorization? {
        guard let site = UUID(uuidString: row["site_id"]), let status = DeviceAuthorization.Status(rawValue: row["status"]) else { return nil }
        return DeviceAuthorization(deviceCodeHash: row["device_code_hash"], userCode: row["user_code"], siteID: site, clientID: row["client_id"],
                                   scope: row["scope"], status: status, userID: row["user_id"], createdAt: date(row["created_at"]),
                                   expiresAt: date(row["expires_at"]))
    }

    // MARK: Branding

    public func updateBranding(site: UUID, _ branding: SiteBranding) async throws {
        try await pool.write { db in
            try db.execute(sql: "UPDATE sites SET branding_logo = ?, branding_colour = ? WHERE id = ?",
                           arguments: [branding.logoURL, branding.colour, site.lowercasedString])
            if db.changesCount == 0 { throw StoreError.notFound }
        }
        changes.publish(.sites)
    }
}
