import Foundation
import Testing
import TesseraCore
@testable import TesseraServer

/// `X-Deki-Session` values are remembered: a remembered value is the one the keyed hash gives, per site, and the
/// memory stays bounded.
@Suite struct SessionIDTests {
    static func site(key: UInt8) -> Site {
        Site(id: UUID(), name: "s", hostnames: [], isDefault: true, authTokenKey: [UInt8](repeating: key, count: 32), createdAt: Date())
    }

    @Test func aRememberedIDIsTheKeyedHashOfItsSite() {
        let ids = SessionIDs()
        let (one, two) = (Self.site(key: 1), Self.site(key: 2))
        let first = ids.id(for: "auth|token", site: one)
        #expect(first == SessionIDs.compute("auth|token", site: one))
        #expect(ids.id(for: "auth|token", site: one) == first)
        #expect(UUID(uuidString: first)?.lowercasedString == first)
        // Another site (another key) or another credential: another session.
        #expect(ids.id(for: "auth|token", site: two) == SessionIDs.compute("auth|token", site: two))
        #expect(ids.id(for: "auth|token", site: two) != first)
        #expect(ids.id(for: "auth|token2", site: one) != first)
    }

    @Test func theMemoryIsBounded() {
        let ids = SessionIDs()
        let site = Self.site(key: 3)
        for n in 0..<(SessionIDs.capacity + 10) { _ = ids.id(for: "credential \(n)", site: site) }
        #expect(ids.count <= SessionIDs.capacity)
        #expect(ids.id(for: "credential 0", site: site) == SessionIDs.compute("credential 0", site: site))
    }
}
