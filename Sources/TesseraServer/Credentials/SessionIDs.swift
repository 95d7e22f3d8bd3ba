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
        var bytes = Array(mac.prefix(16))
        bytes[6] = (bytes[6] & 0x0F) | 0x80
        bytes[8] = (bytes[8] & 0x3F) | 0x80
        return UUID(uuid: (bytes[0], bytes[1], bytes[2], bytes[3], bytes[4], bytes[5], bytes[6], bytes[7], bytes[8], bytes[9], bytes[10],
                           bytes[11], bytes[12], bytes[13], bytes[14], bytes[15])).lowercasedString
    }
}
