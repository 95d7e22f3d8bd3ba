import Foundation
import Synchronization
import TesseraCore
import TesseraCrypto

/// The `X-Deki-Session` of each signed-in caller: a stable, opaque identifier of the caller's session (its credential,
/// or an access token's session) as a UUID, a keyed hash that reveals nothing of the credential it stands for.
///
/// The hash costs more than the rest of serving a remembered credential (about a fifth of a `users/current` answer
/// when computed every time), so each value is remembered. Only credentials that verified reach here, the site key
/// behind the hash never changes, and the memory is bounded: when full it starts again empty.
final class SessionIDs: Sendable {
    static let capacity = 20_000

    private struct Key: Hashable {
        var site: UUID
        var reference: String
    }

    private let remembered = Mutex<[Key: String]>([:])

    func id(for reference: String, site: Site) -> String {
        let key = Key(site: site.id, reference: reference)
        if let known = remembered.withLock({ $0[key] }) { return known }
        let id = Self.compute(reference, site: site)
        remembered.withLock { table in
            if table.count >= Self.capacity { table.removeAll(keepingCapacity: true) }
            table[key] = id
        }
        return id
    }

    /// How many are remembered.
    var count: Int { remembered.withLock { $0.count } }

    static func compute(_ reference: String, site: Site) -> String {
        let mac = Secrets.hmacSHA256(key: site.authTokenKey, message: Array(("x-deki-session|" + reference).utf8))
        return UUID(version: 8, bytes: mac).lowercasedString
    }
}
