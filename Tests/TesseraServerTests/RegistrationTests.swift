import Foundation
import Testing
import TesseraCore
import TesseraCrypto
import TesseraServer

/// Registration rules (validation, approval, immutability, tenancy) through the service, on a real SQLite store.
@Suite struct RegistrationTests {
    static func form(_ change: (inout RegistrationForm) -> Void = { _ in }) -> RegistrationForm {
        var form = RegistrationForm(name: "Portal", contacts: ["dev@a.example"], type: .confidential, redirectURIs: ["https://a.example/cb"])
        change(&form)
        return form
    }

    static let invalid: [(String, RegistrationForm)] = [
        ("no name", form { $0.name = nil }),
        ("blank name", form { $0.name = "   " }),
        ("long name", form { $0.name = String(repeating: "n", count: 256) }),
        ("no type", form { $0.type = nil }),
        ("public with a secret method", form { $0.type = .public; $0.authMethod = .clientSecretBasic }),
        ("confidential without a secret", form { $0.authMethod = ClientAuthMethod.none }),
        ("no redirect", form { $0.redirectURIs = [] }),
        ("http off loopback", form { $0.redirectURIs = ["http://a.example/cb"] }),
        ("fragment", form { $0.redirectURIs = ["https://a.example/cb#x"] }),
        ("relative", form { $0.redirectURIs = ["/cb"] }),
        ("user info", form { $0.redirectURIs = ["https://u:p@a.example/cb"] }),
        ("javascript", form { $0.redirectURIs = ["javascript:alert(1)"] }),
        ("logout fragment", form { $0.logoutURIs = ["https://a.example/bye#x"] }),
        ("origin with path", form { $0.origins = ["https://a.example/app"] }),
        ("origin not http", form { $0.origins = ["ftp://a.example"] }),
        ("contact", form { $0.contacts = ["not-an-address"] }),
        ("contact two @", form { $0.contacts = ["a@b@c.example"] }),
        ("business unit", form { $0.businessUnit = 0 }),
        ("scope with space", form { $0.scopes = ["a b"] }),
        ("single tenant elsewhere", form { $0.environments = ["eu1"] }),
        ("environment name", form { $0.multiTenant = true; $0.environments = ["na1;drop"] }),
        ("no environments", form { $0.multiTenant = true; $0.environments = [] }),
    ]

    @Test(arguments: invalid.indices)
    func invalidRegistrationsAreRefused(_ index: Int) async throws {
        let services = try await HTTPTests.services()
        let site = try #require(try await services.store.sites().first(where: \.isDefault))
        let (label, form) = Self.invalid[index]
        do {
            _ = try await services.registrations.submit(form, site: site, actor: 1)
            Issue.record("accepted: \(label)")
        } catch ServiceError.invalidInput {
            // expected
        }
        #expect(try await services.registrations.list(site: site).isEmpty, "\(label)")
    }

    @Test func approvalIssuesOneClientPerEnvironmentAndTheTypeStaysFixed() async throws {
        let services = try await HTTPTests.services()
        let site = try #require(try await services.store.sites().first(where: \.isDefault))
        let submitted = try await services.registrations.submit(Self.form { $0.multiTenant = true; $0.environments = ["na1", "eu1"] }, site: site, actor: 1)
        #expect(submitted.status == .pending && submitted.trackingNumber.wholeMatch(of: /TR-[0-9]{10}/) != nil)
        #expect(try await services.registrations.get(site: site, trackingNumber: submitted.trackingNumber).clients.isEmpty)
        let (approved, secrets) = try await services.registrations.approve(site: site, trackingNumber: submitted.trackingNumber, actor: 1)
        #expect(approved.clients.map(\.environment).sorted() == ["eu1", "na1"])
        #expect(Set(secrets.keys) == Set(approved.clients.map(\.clientID)))
        #expect(secrets.values.allSatisfy { Base64URL.decode($0.replacingOccurrences(of: "=", with: ""))?.count == 32 })
        await #expect(throws: ServiceError.self) { try await services.registrations.approve(site: site, trackingNumber: submitted.trackingNumber, actor: 1) }
        await #expect(throws: ServiceError.self) {
            try await services.registrations.update(site: site, trackingNumber: submitted.trackingNumber, RegistrationForm(type: .public), actor: 1)
        }
        let updated = try await services.registrations.update(site: site, trackingNumber: submitted.trackingNumber,
                                                              RegistrationForm(redirectURIs: ["https://b.example/cb"]), actor: 1)
        #expect(updated.clients.allSatisfy { $0.redirectURIs == ["https://b.example/cb"] })

        // Tenancy: a multi-tenant client serves sites of its environment; a single-tenant one only its own.
        let eu = approved.clients.first { $0.environment == "eu1" }!
        var euSite = site
        euSite.id = UUID()
        euSite.tenant.area = "eu1"
        #expect(eu.serves(site: euSite) && eu.serves(site: site))
        euSite.tenant.area = "au1"
        #expect(!eu.serves(site: euSite))
        let (single, _) = try await services.registrations.registerApproved(Self.form(), site: site)
        #expect(single.serves(site: site) && !single.serves(site: euSite))
    }

    @Test(arguments: ["", "BCDF", "BCDF-GHJKL", "AEIO-UBCD", "bcdf-ghj1", "BCDF_GHJK", String(repeating: "B", count: 100)])
    func malformedUserCodesAreRefused(_ typed: String) {
        #expect(DeviceFlowService.normaliseUserCode(typed) == nil)
    }

    @Test func userCodesAreReadAsPeopleTypeThem() {
        #expect(DeviceFlowService.normaliseUserCode("bcdf-ghjk") == "BCDFGHJK")
        #expect(DeviceFlowService.normaliseUserCode(" BCDF GHJK ") == "BCDFGHJK")
    }

    @Test(arguments: [("ftp://a.example/l.png", nil), ("/logo.png", nil), (nil, "123456"), (nil, "#12345g"), (nil, "#1234567")] as [(String?, String?)])
    func malformedBrandingIsRefused(_ logo: String?, _ colour: String?) {
        #expect(throws: ServiceError.self) { try SiteBranding.validated(logoURL: logo, colour: colour) }
    }
}
