import Foundation
import TesseraCore

/// OAuth clients and the registrations that issue them.
extension SQLStore: ClientStore {
    public func createApplication(_ application: Application) async throws {
        try await db.transaction { tx in
            try await Self.insert(application, on: tx)
            try await tx.announce(.applications)
        }
    }

    private static func insert(_ a: Application, on tx: any SQLExecutor) async throws {
        try await tx.execute("""
            INSERT INTO applications (client_id, site_id, name, type, auth_method, secret_salt, redirect_uris, multi_tenant, is_enabled, created_at,
                                      tracking_number, environment, logout_uris, origins, scopes, jwks, jwks_url)
            VALUES (\(a.clientID), \(a.siteID), \(a.name), \(a.type.rawValue), \(a.authMethod.rawValue), \(a.secretSalt),
                    \(StoredList.encode(a.redirectURIs)), \(a.multiTenant), \(a.isEnabled), \(a.createdAt), \(a.trackingNumber), \(a.environment),
                    \(StoredList.encode(a.logoutURIs)), \(StoredList.encode(a.origins)), \(StoredList.encode(a.scopes)), \(a.jwks), \(a.jwksURL))
            """)
    }

    public func application(clientID: String) async throws -> Application? {
        try await db.readOne("SELECT * FROM applications WHERE client_id = \(clientID)").map(Self.application)
    }

    public func createRegistration(_ r: AppRegistration) async throws {
        try await db.execute("""
            INSERT INTO app_registrations (tracking_number, site_id, name, description, business_unit, contacts, multi_tenant, environments, type,
                auth_method, redirect_uris, logout_uris, origins, scopes, status, is_enabled, created_by, created_at, modified_at, approved_by,
                approved_at, jwks, jwks_url, scheduled_deletion)
            VALUES (\(r.trackingNumber), \(r.siteID), \(r.name), \(r.description), \(r.businessUnit), \(StoredList.encode(r.contacts)),
                    \(r.multiTenant), \(StoredList.encode(r.environments)), \(r.type.rawValue), \(r.authMethod.rawValue),
                    \(StoredList.encode(r.redirectURIs)), \(StoredList.encode(r.logoutURIs)), \(StoredList.encode(r.origins)),
                    \(StoredList.encode(r.scopes)), \(r.status.rawValue), \(r.isEnabled), \(r.createdBy), \(r.createdAt), \(r.modifiedAt),
                    \(r.approvedBy), \(r.approvedAt), \(r.jwks), \(r.jwksURL), \(r.scheduledDeletion))
            """)
    }

    public func registrations(site: UUID) async throws -> [AppRegistration] {
        try await db.read("SELECT * FROM app_registrations WHERE site_id = \(site) ORDER BY created_at, tracking_number").map(Self.registration)
    }

    public func registration(site: UUID, trackingNumber: String) async throws -> AppRegistration? {
        try await db.readOne("SELECT * FROM app_registrations WHERE site_id = \(site) AND tracking_number = \(trackingNumber)").map(Self.registration)
    }

    public func updateRegistration(_ r: AppRegistration, newClients: [Application]) async throws {
        try await db.transaction { tx in
            let changed = try await tx.execute("""
                UPDATE app_registrations SET name = \(r.name), description = \(r.description), business_unit = \(r.businessUnit),
                    contacts = \(StoredList.encode(r.contacts)), redirect_uris = \(StoredList.encode(r.redirectURIs)),
                    logout_uris = \(StoredList.encode(r.logoutURIs)), origins = \(StoredList.encode(r.origins)), scopes = \(StoredList.encode(r.scopes)),
                    status = \(r.status.rawValue), is_enabled = \(r.isEnabled), modified_at = \(r.modifiedAt), approved_by = \(r.approvedBy),
                    approved_at = \(r.approvedAt), jwks = \(r.jwks), jwks_url = \(r.jwksURL), scheduled_deletion = \(r.scheduledDeletion)
                WHERE site_id = \(r.siteID) AND tracking_number = \(r.trackingNumber)
                """)
            guard changed > 0 else { throw StoreError.notFound }
            for client in newClients { try await Self.insert(client, on: tx) }
            try await tx.execute("""
                UPDATE applications SET name = \(r.name), redirect_uris = \(StoredList.encode(r.redirectURIs)),
                    logout_uris = \(StoredList.encode(r.logoutURIs)), origins = \(StoredList.encode(r.origins)), multi_tenant = \(r.multiTenant),
                    is_enabled = \(r.isEnabled), scopes = \(StoredList.encode(r.scopes)), jwks = \(r.jwks), jwks_url = \(r.jwksURL)
                WHERE tracking_number = \(r.trackingNumber) AND site_id = \(r.siteID)
                """)
            try await tx.announce(.applications)
        }
    }

    public func deleteRegistrations(scheduledBefore: Date) async throws -> Int {
        try await db.transaction { tx in
            let due = try await tx.read("""
                SELECT site_id, tracking_number FROM app_registrations WHERE scheduled_deletion IS NOT NULL AND scheduled_deletion <= \(scheduledBefore)
                """).map { (site: try $0.uuid("site_id"), number: try $0.string("tracking_number")) }
            for (site, number) in due {
                // What users granted the clients goes with them; their refresh tokens stop (access tokens expired
                // while the clients were disabled awaiting deletion).
                let clients = "SELECT client_id FROM applications WHERE site_id = \(site) AND tracking_number = \(number)" as SQL
                try await tx.execute("DELETE FROM grants WHERE client_id IN (\(clients))")
                try await tx.execute("UPDATE refresh_tokens SET revoked = \(true) WHERE client_id IN (\(clients))")
                try await tx.execute("DELETE FROM applications WHERE site_id = \(site) AND tracking_number = \(number)")
                try await tx.execute("DELETE FROM app_registrations WHERE site_id = \(site) AND tracking_number = \(number)")
            }
            if !due.isEmpty { try await tx.announce(.applications) }
            return due.count
        }
    }

    public func applications(trackingNumber: String) async throws -> [Application] {
        try await db.read("SELECT * FROM applications WHERE tracking_number = \(trackingNumber) ORDER BY environment, client_id").map(Self.application)
    }

    public func registeredOrigins() async throws -> [String] {
        try await db.read("SELECT origins FROM applications WHERE is_enabled AND origins <> '[]'").flatMap { StoredList.decode(try $0.string("origins")) }
    }

    private static func application(_ row: SQLRow) throws -> Application {
        guard let type = ApplicationType(rawValue: try row.string("type")), let method = ClientAuthMethod(rawValue: try row.string("auth_method")) else {
            throw StoreError.unreadable("application type or method")
        }
        return Application(
            siteID: try row.uuid("site_id"), clientID: try row.string("client_id"), name: try row.string("name"), type: type, authMethod: method,
            secretSalt: try row.optionalString("secret_salt"), redirectURIs: StoredList.decode(try row.string("redirect_uris")),
            multiTenant: try row.bool("multi_tenant"), isEnabled: try row.bool("is_enabled"), createdAt: try row.date("created_at"),
            trackingNumber: try row.optionalString("tracking_number"), environment: try row.string("environment"),
            logoutURIs: StoredList.decode(try row.string("logout_uris")), origins: StoredList.decode(try row.string("origins")),
            scopes: StoredList.decode(try row.string("scopes")), jwks: try row.optionalString("jwks"), jwksURL: try row.optionalString("jwks_url"))
    }

    private static func registration(_ row: SQLRow) throws -> AppRegistration {
        guard let type = ApplicationType(rawValue: try row.string("type")), let method = ClientAuthMethod(rawValue: try row.string("auth_method")),
              let status = RegistrationStatus(rawValue: try row.string("status"))
        else { throw StoreError.unreadable("registration type, method or status") }
        return AppRegistration(
            siteID: try row.uuid("site_id"), trackingNumber: try row.string("tracking_number"), name: try row.string("name"),
            description: try row.string("description"), businessUnit: try row.optionalInt("business_unit"),
            contacts: StoredList.decode(try row.string("contacts")), multiTenant: try row.bool("multi_tenant"),
            environments: StoredList.decode(try row.string("environments")), type: type, authMethod: method,
            redirectURIs: StoredList.decode(try row.string("redirect_uris")), logoutURIs: StoredList.decode(try row.string("logout_uris")),
            origins: StoredList.decode(try row.string("origins")), scopes: StoredList.decode(try row.string("scopes")), status: status,
            isEnabled: try row.bool("is_enabled"), createdBy: try row.optionalInt("created_by"), createdAt: try row.date("created_at"),
            modifiedAt: try row.date("modified_at"), approvedBy: try row.optionalInt("approved_by"), approvedAt: try row.optionalDate("approved_at"),
            jwks: try row.optionalString("jwks"), jwksURL: try row.optionalString("jwks_url"),
            scheduledDeletion: try row.optionalDate("scheduled_deletion"))
    }
}
