import Foundation
import Testing
import TesseraTestSupport
import TesseraCore
import TesseraCrypto
import TesseraStore

/// Registrations and their clients, consents (grants), device authorizations and branding, on SQLite and PostgreSQL.
@Suite struct RegistrationStoreContractTests {
    static let epoch = Date(timeIntervalSince1970: 1_800_000_000)

    static func registration(_ site: Site, tracking: String) -> AppRegistration {
        AppRegistration(siteID: site.id, trackingNumber: tracking, name: "Portal", description: "d", businessUnit: 4_600_738,
                        contacts: ["dev@a.example"], multiTenant: true, environments: ["na1", "eu1"], type: .confidential,
                        authMethod: .clientSecretPost, redirectURIs: ["https://a.example/cb"], logoutURIs: ["https://a.example/bye"],
                        origins: ["https://a.example"], scopes: ["admin", "agent"], status: .pending, isEnabled: true, createdBy: 1,
                        createdAt: epoch, modifiedAt: epoch, approvedBy: nil, approvedAt: nil)
    }

    @Test(arguments: StoreKind.allCases)
    func registrationsRoundTripAndApprovalCopiesFieldsOntoClients(_ kind: StoreKind) async throws {
        guard let store = try await StoreFixtures.make(kind) else { return }
        let site = try await CXoneStoreContractTests.siteWithUsers(store, host: "reg.example")
        var registration = Self.registration(site, tracking: "TR-0000000001")
        try await store.createRegistration(registration)
        await expectConflict { try await store.createRegistration(registration) }
        #expect(try await store.registration(site: site.id, trackingNumber: registration.trackingNumber) == registration)
        #expect(try await store.registration(site: UUID(), trackingNumber: registration.trackingNumber) == nil)
        #expect(try await store.registrations(site: site.id) == [registration])
        #expect(try await store.applications(trackingNumber: registration.trackingNumber).isEmpty)

        registration.status = .approved
        registration.approvedBy = 1
        registration.approvedAt = Self.epoch.addingTimeInterval(10)
        let clients = registration.environments.map { environment in
            registration.applying(to: Application(siteID: site.id, clientID: "client-\(environment)", name: "", type: .confidential,
                                                  authMethod: .clientSecretPost, secretSalt: "salt", redirectURIs: [], multiTenant: false,
                                                  isEnabled: false, createdAt: Self.epoch, trackingNumber: registration.trackingNumber,
                                                  environment: environment))
        }
        try await store.updateRegistration(registration, newClients: clients)
        #expect(try await store.registration(site: site.id, trackingNumber: registration.trackingNumber) == registration)
        let stored = try await store.applications(trackingNumber: registration.trackingNumber)
        #expect(stored == clients.sorted { $0.environment < $1.environment })
        #expect(stored.allSatisfy { $0.name == "Portal" && $0.logoutURIs == ["https://a.example/bye"] && $0.multiTenant && $0.isEnabled })
        #expect(try await store.registeredOrigins() == ["https://a.example", "https://a.example"])

        // A change (disable, new redirect) reaches every client in the same write.
        registration.isEnabled = false
        registration.redirectURIs = ["https://b.example/cb"]
        try await store.updateRegistration(registration, newClients: [])
        let changed = try #require(try await store.application(clientID: "client-na1"))
        #expect(!changed.isEnabled && changed.redirectURIs == ["https://b.example/cb"] && changed.environment == "na1")
        #expect(try await store.registeredOrigins().isEmpty)

        var missing = registration
        missing.trackingNumber = "TR-9999999999"
        await #expect(throws: StoreError.self) { try await store.updateRegistration(missing, newClients: []) }
    }

    @Test(arguments: StoreKind.allCases)
    func grantsAreUpsertedAndDeletingOneRevokesTheClientsRefreshTokens(_ kind: StoreKind) async throws {
        guard let store = try await StoreFixtures.make(kind) else { return }
        let site = try await CXoneStoreContractTests.siteWithUsers(store, host: "grant.example")
        let grant = Grant(siteID: site.id, userID: 1, clientID: "c1", clientName: "One", scope: "profile", createdAt: Self.epoch, updatedAt: Self.epoch)
        try await store.saveGrant(grant)
        var again = grant
        again.scope = "profile seated"
        again.updatedAt = Self.epoch.addingTimeInterval(5)
        try await store.saveGrant(again)
        #expect(try await store.grants(site: site.id, userID: 1) == [again])
        #expect(try await store.grants(site: site.id, userID: 3).isEmpty)

        let family = UUID()
        let token = RefreshToken(hash: "h-\(UUID())", familyID: family, siteID: site.id, userID: 1, clientID: "c1", scope: "profile", authTime: 1,
                                 createdAt: Self.epoch, expiresAt: Date().addingTimeInterval(3600))
        try await store.insertRefreshToken(token)
        let other = RefreshToken(hash: "h-\(UUID())", familyID: UUID(), siteID: site.id, userID: 1, clientID: "c2", scope: "profile", authTime: 1,
                                 createdAt: Self.epoch, expiresAt: Date().addingTimeInterval(3600))
        try await store.insertRefreshToken(other)
        #expect(try await store.deleteGrant(site: site.id, userID: 1, clientID: "c1"))
        #expect(try await store.revokeRefreshTokens(site: site.id, userID: 1, clientID: "c1") == [family])
        #expect(try await store.refreshToken(hash: token.hash) == nil)
        #expect(try await store.refreshToken(hash: other.hash) != nil)
        #expect(try await store.deleteGrant(site: site.id, userID: 1, clientID: "c1") == false)
        #expect(try await store.revokeRefreshTokens(site: site.id, userID: 1, clientID: "c1").isEmpty)
    }

    @Test(arguments: StoreKind.allCases)
    func deviceAuthorizationsAreDecidedOnceAndIssuedOnce(_ kind: StoreKind) async throws {
        guard let store = try await StoreFixtures.make(kind) else { return }
        let site = try await CXoneStoreContractTests.siteWithUsers(store, host: "device.example")
        let now = Date()
        let pending = DeviceAuthorization(deviceCodeHash: "d-\(UUID())", userCode: "BCDFGHJK", siteID: site.id, clientID: "key", scope: "profile",
                                          status: .pending, userID: nil, createdAt: Date(timeIntervalSince1970: 1_800_000_000),
                                          expiresAt: Date(timeIntervalSince1970: 1_900_000_000))
        try await store.insertDeviceAuthorization(pending)
        var clash = pending
        clash.deviceCodeHash = "d-\(UUID())"
        await expectConflict { try await store.insertDeviceAuthorization(clash) }
        #expect(try await store.deviceAuthorization(site: site.id, userCode: "BCDFGHJK") == pending)
        #expect(try await store.pollDeviceAuthorization(hash: pending.deviceCodeHash)?.status == .pending)
        #expect(try await store.decideDeviceAuthorization(site: site.id, userCode: "BCDFGHJK", userID: 1, approve: true, at: now))
        #expect(try await store.decideDeviceAuthorization(site: site.id, userCode: "BCDFGHJK", userID: 3, approve: false, at: now) == false)
        let approved = try #require(try await store.pollDeviceAuthorization(hash: pending.deviceCodeHash))
        #expect(approved.status == .approved && approved.userID == 1)
        #expect(try await store.pollDeviceAuthorization(hash: pending.deviceCodeHash)?.status == .used)
        #expect(try await store.pollDeviceAuthorization(hash: "unknown") == nil)
        // An expired request cannot be decided.
        var expired = pending
        expired.deviceCodeHash = "d-\(UUID())"
        expired.userCode = "ZXWVTSRQ"
        expired.expiresAt = now.addingTimeInterval(-1)
        try await store.insertDeviceAuthorization(expired)
        #expect(try await store.decideDeviceAuthorization(site: site.id, userCode: "ZXWVTSRQ", userID: 1, approve: true, at: now) == false)
    }

    @Test(arguments: StoreKind.allCases)
    func brandingRoundTrips(_ kind: StoreKind) async throws {
        guard let store = try await StoreFixtures.make(kind) else { return }
        let site = try await CXoneStoreContractTests.siteWithUsers(store, host: "brand.example")
        #expect(try await store.site(id: site.id)?.branding == SiteBranding())
        let branding = SiteBranding(logoURL: "https://cdn.example/logo.png", colour: "#123456")
        try await store.updateBranding(site: site.id, branding)
        #expect(try await store.site(id: site.id)?.branding == branding)
        await #expect(throws: StoreError.self) { try await store.updateBranding(site: UUID(), branding) }
    }
}
