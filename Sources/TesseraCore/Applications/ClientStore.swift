import Foundation

/// OAuth clients (applications) and the registrations that issue them.
public protocol ClientStore: Sendable {
    /// Throws `StoreError.conflict` when the client id is taken.
    func createApplication(_ application: Application) async throws
    /// Looks a client up by id in every site (a multi-tenant client serves users of other sites).
    func application(clientID: String) async throws -> Application?
    /// Throws `StoreError.conflict` when the tracking number is taken.
    func createRegistration(_ registration: AppRegistration) async throws
    /// A site's registrations, oldest first.
    func registrations(site: UUID) async throws -> [AppRegistration]
    func registration(site: UUID, trackingNumber: String) async throws -> AppRegistration?
    /// Saves a registration, inserts `newClients`, and copies the registration's runtime fields onto every client it
    /// issued, in one transaction (so that a token request reads one row). Throws `StoreError.notFound`.
    func updateRegistration(_ registration: AppRegistration, newClients: [Application]) async throws
    /// The clients a registration issued.
    func applications(trackingNumber: String) async throws -> [Application]
    /// Deletes the registrations whose scheduled deletion is at or before the time, with their clients, the
    /// consents given to those clients and their refresh tokens; returns how many registrations.
    func deleteRegistrations(scheduledBefore: Date) async throws -> Int
    /// Every origin of every enabled client, of every site.
    func registeredOrigins() async throws -> [String]
}
